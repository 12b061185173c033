"""Errors shared by the local infrastructure helpers."""


class InfraError(RuntimeError):
    """A local dependency cannot be provisioned or started; the message says what to do."""
