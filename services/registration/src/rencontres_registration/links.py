"""Private links: a registration's status page and a shared stand's invitation.

Their tokens are derived from the id with a keyed hash (HMAC-SHA256 under
`REGISTRATION_LINK_SECRET`), so the database holds no token at all, not even a hash: a copy
of it opens nobody's registration. A link is checked by deriving it again. An erased
registration's link stops working (the service checks `erased_at`).
"""

import base64
import hashlib
import hmac


class Links:
    def __init__(self, base_url: str, secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret = secret.encode()

    def _token(self, purpose: str, subject: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{subject}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")

    def status_token(self, registration_id: str) -> str:
        return self._token("status", registration_id)

    def status_url(self, registration_id: str) -> str:
        return f"{self.base_url}/r/{registration_id}?t={self.status_token(registration_id)}"

    def opens_status(self, registration_id: str, token: str) -> bool:
        return hmac.compare_digest(self.status_token(registration_id).encode(), token.encode())

    def invitation_key(self, pool_id: str) -> str:
        return self._token("invitation", pool_id)[:16]

    def invitation_url(self, pool_id: str) -> str:
        return f"{self.base_url}/pools/{pool_id}/join?k={self.invitation_key(pool_id)}"
