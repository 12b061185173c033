"""The public HTML face: the forms (`forms`), the owner's page (`status`), and what their
pages share (`pages`)."""

from fastapi import APIRouter

from rencontres_registration.web import forms, status

router = APIRouter(include_in_schema=False)
router.include_router(forms.router)
router.include_router(status.router)
