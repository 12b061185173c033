"""What ops publishes: only its audit trail (`deadletter.replayed.v1` on `ops.audit`).

The replayed records themselves are not ops' events: they are the original bytes, sent back
to the topic they came from.
"""

from rencontres_contracts.events.ops import DeadLetterReplayedV1

PUBLISHES = (DeadLetterReplayedV1,)
