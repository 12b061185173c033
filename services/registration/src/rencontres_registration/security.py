"""Abuse limits on the public surface: a per-client rate on POSTs and no private-link token in
the access log (the size limit and the control-character check are the kit's)."""

import logging
import math
import time
from collections import OrderedDict
from urllib.parse import parse_qsl, urlencode

from rencontres_kit.limits import refuse as _refuse
from starlette.types import ASGIApp, Receive, Scope, Send


class RateLimit:
    """Token bucket per client address on POST requests: `rate` per second, `burst` at once.

    The client address is the TCP peer, or, when the peer is one of the trusted proxies, the
    address the proxy forwarded (uvicorn's ProxyHeadersMiddleware, wired in `app.py`, sets it
    from X-Forwarded-For before this runs).

    Kept in process memory: each replica limits on its own, which is enough to stop a script
    hammering one form; a shared limiter belongs in front of the replicas.
    """

    def __init__(self, app: ASGIApp, rate: float, burst: int, max_clients: int = 10_000) -> None:
        self.app, self.rate, self.burst, self.max_clients = app, rate, burst, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self.rate > 0:
            wait = self._take(_client(scope))
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                body = b'{"detail":"too many requests; retry after ' + retry.encode() + b' s"}'
                await _refuse(send, 429, body, [(b"retry-after", retry.encode())])
                return
        await self.app(scope, receive, send)

    def _take(self, client: str) -> float:
        now = time.monotonic()
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self._buckets[client] = (tokens - 1, now)
            wait = 0.0
        else:
            self._buckets[client] = (tokens, now)
            wait = (1 - tokens) / self.rate
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


SECRET_PARAMETERS = frozenset({"t", "k"})
"""Query parameters that carry a private link's token or a pool's invitation key."""


class RedactSecrets(logging.Filter):
    """Blank private-link tokens (`?t=`, `?k=`) in uvicorn's access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            args[2] = redact_path(str(args[2]))
            record.args = tuple(args)
        return True


def redact_path(path: str) -> str:
    """`/r/id?t=secret&x=1` -> `/r/id?t=redacted&x=1`."""
    base, _, query = path.partition("?")
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    safe = [(n, "redacted" if n in SECRET_PARAMETERS else v) for n, v in pairs]
    return f"{base}?{urlencode(safe)}"
