"""Contract events this service publishes (see the topic catalog in rencontres_contracts)."""

from rencontres_contracts import EventData

PUBLISHES: tuple[type[EventData], ...] = ()
"""Every event type notify publishes; the catalog test compares it with `topics`."""
