"""Registration figures on `/metrics`: read from the store, named in `rencontres_kit.business`."""

from rencontres_kit import business

from rencontres_registration.catalog import Catalog
from rencontres_registration.store import RegistrationStore


async def sample(store: RegistrationStore, catalog: Catalog) -> None:
    """Set the gauges from one read of the registrations and one of the capacity counters."""
    rows = await store.registrations.tally()
    waiting: dict[tuple[str, str], int] = {}
    applications: dict[str, int] = {}
    business.REGISTRATIONS.clear()
    for offer, status, edition, count in rows:
        business.REGISTRATIONS.labels(offer, status, edition or "none").set(count)
        if status == "waitlisted":
            waiting[(edition, offer)] = waiting.get((edition, offer), 0) + count
        if offer == "incubator_application":
            applications[status] = applications.get(status, 0) + count
    business.APPLICATIONS.clear()
    for state, count in applications.items():
        business.APPLICATIONS.labels(state).set(count)
    business.WAITING_LIST.clear()
    for (edition_id, offer), count in waiting.items():
        known = catalog.editions.get(edition_id)
        campus, day = (known.campus, known.date.isoformat()) if known else ("", "")
        business.WAITING_LIST.labels(edition_id, campus, day, offer).set(count)
    for counter in await store.places.capacities():
        held = catalog.editions.get(counter.edition_id)
        if held is None:
            continue
        labels = (held.id, held.campus, held.date.isoformat(), counter.resource)
        total = counter.total
        business.PLACES_TOTAL.labels(*labels).set(total)
        business.PLACES_LEFT.labels(*labels).set(max(total - counter.taken, 0))
