"""Dependencies shared by the routes: the billing service and staff authentication."""

from typing import Annotated

from fastapi import Depends, Request
from rencontres_kit.staff import staff_guard

from rencontres_billing.service import Billing


def _billing(request: Request) -> Billing:
    billing: Billing = request.app.state.billing
    return billing


BillingDep = Annotated[Billing, Depends(_billing)]
StaffDep = Annotated[str, Depends(staff_guard("BILLING_STAFF_TOKEN"))]
