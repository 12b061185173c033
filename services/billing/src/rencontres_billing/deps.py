"""Dependencies shared by the routes: the billing service and staff authentication."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rencontres_billing.service import Billing

_bearer = HTTPBearer(auto_error=False, description="the staff token (BILLING_STAFF_TOKEN)")


def _billing(request: Request) -> Billing:
    billing: Billing = request.app.state.billing
    return billing


def _staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
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


BillingDep = Annotated[Billing, Depends(_billing)]
StaffDep = Annotated[str, Depends(_staff)]
