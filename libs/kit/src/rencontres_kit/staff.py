"""Staff authentication, the same on every service: a bearer token compared in constant time.

Each service's settings carry its own `staff_token` (one per service, from its environment);
the composition root puts the settings on `app.state.settings`.
"""

import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


def staff_guard(token_variable: str) -> Callable[..., str]:
    """A dependency that lets a request through only with the service's staff token."""
    bearer = HTTPBearer(auto_error=False, description=f"the staff token ({token_variable})")

    def staff(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> str:
        expected: str = request.app.state.settings.staff_token
        if credentials is None or not secrets.compare_digest(
            credentials.credentials.encode(), expected.encode()
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a staff bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return "staff"

    return staff
