"""Double-submit CSRF tokens: pure functions, no framework.

The browser holds a random nonce in an HttpOnly cookie; each form carries
`<timestamp>.<HMAC(secret, nonce + timestamp)>`. A POST is accepted only when the token was
made for the nonce in the cookie, by this server, and not too long ago. A site that cannot
read our cookie cannot make a matching token, and a stolen token is useless without the cookie.
"""

import hashlib
import hmac
import secrets

COOKIE = "csrf"
FIELD = "csrf_token"
MAX_AGE_SECONDS = 6 * 3600
_CLOCK_SKEW_SECONDS = 60


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def make_token(secret: str, nonce: str, now: float) -> str:
    stamp = str(int(now))
    return f"{stamp}.{_mac(secret, nonce, stamp)}"


def check_token(
    secret: str,
    nonce: str | None,
    token: str | None,
    now: float,
    max_age: int = MAX_AGE_SECONDS,
) -> bool:
    """True when `token` was made by `make_token(secret, nonce, t)` with `t` recent enough."""
    if not nonce or not token or len(token) > 200 or len(nonce) > 200:
        return False
    stamp, _, mac = token.partition(".")
    if not stamp.isdigit() or not mac:
        return False
    age = now - int(stamp)
    if age > max_age or age < -_CLOCK_SKEW_SECONDS:
        return False
    return hmac.compare_digest(mac, _mac(secret, nonce, stamp))


def _mac(secret: str, nonce: str, stamp: str) -> str:
    message = f"{nonce}|{stamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
