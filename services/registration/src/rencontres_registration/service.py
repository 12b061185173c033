"""The registration core: one object that does what happens to a registration, each concept
in its own room (module), mixed in here. Where to read what:

- submitting and settling a first status: `placing.py`
- shared stands: `pools.py`
- counting places (the capacity token protocol): `places.py`; recounting them: `capacity.py`
- the waiting list and offers: `waiting_list.py`
- cancellation: `cancellation.py`
- billing's verdicts: `payments.py` (paid) and `cancellation.cancel_unpaid` (lapsed)
- staff review and erasure: `review.py`, `erasure.py`
- periodic jobs: `jobs.py`
- shared state and helpers: `core.py`
"""

from rencontres_registration.cancellation import Cancellation
from rencontres_registration.core import (  # noqa: F401  (re-exported)
    ABANDON_GRACE,
    LINK_RESEND,
    PLACING_GRACE,
    Clock,
    Core,
    Doc,
    hash_secret,
    utcnow,
)
from rencontres_registration.erasure import Erasure
from rencontres_registration.jobs import Jobs
from rencontres_registration.payments import Payments
from rencontres_registration.places import Places
from rencontres_registration.placing import Placing
from rencontres_registration.pools import Pools
from rencontres_registration.review import Review
from rencontres_registration.waiting_list import WaitingList


class Registrations(
    Placing, Pools, Places, WaitingList, Cancellation, Payments, Review, Erasure, Jobs, Core
):
    """Every room of the registration core; `Core` last, so the rooms' steps win over the
    declarations it holds."""
