"""Staff sessions: a signed, expiring cookie (itsdangerous); no server-side session store.

Pages without a valid session redirect to the login page; JSON endpoints answer 401.
"""

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from itsdangerous import BadSignature, URLSafeTimedSerializer

from rencontres_ops.settings import Settings

COOKIE = "ops_session"


class LoginRequired(Exception):
    """A page was asked for without a valid session: the faces redirect to the login page."""


class Sessions:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._signer = URLSafeTimedSerializer(settings.session_secret, salt="ops-session")

    @property
    def max_age(self) -> int:
        return self._settings.session_max_age_seconds

    @property
    def secure(self) -> bool:
        return self._settings.environment == "production"

    def check_password(self, name: str, password: str) -> bool:
        expected = self._settings.staff_accounts.get(name)
        # compare even for an unknown name, so timing does not tell which names exist
        return (
            hmac.compare_digest((expected or "\x00unknown").encode(), password.encode())
            and expected is not None
        )

    def issue(self, name: str) -> str:
        return self._signer.dumps({"u": name})

    def staff(self, cookie: str | None) -> str | None:
        """The staff member a cookie names, if it is ours and not expired."""
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        name = data.get("u") if isinstance(data, dict) else None
        return name if name in self._settings.staff_accounts else None


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def page_staff(request: Request) -> str:
    name = _sessions(request).staff(request.cookies.get(COOKIE))
    if name is None:
        raise LoginRequired
    return name


def api_staff(request: Request) -> str:
    name = _sessions(request).staff(request.cookies.get(COOKIE))
    if name is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in at /login")
    return name


PageStaff = Annotated[str, Depends(page_staff)]
ApiStaff = Annotated[str, Depends(api_staff)]
