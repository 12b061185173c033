"""Event payloads, one module per producing service."""
