"""The API's input models refuse what the database would refuse, with a field-level 422."""

import pytest
from pydantic import ValidationError
from rencontres_registration.schemas import StartupIn

STARTUP = {
    "project_name": "Argile",
    "founders": ["Nora Haddad"],
    "description": "Des briques de terre crue pour les bâtiments publics du Gard.",
    "stage": "prototype",
}


@pytest.mark.parametrize("website", ["https://argile.example/", "http://argile.example/a?b=c"])
def test_a_web_address_is_accepted(website: str) -> None:
    assert StartupIn.model_validate({**STARTUP, "website": website}).website == website


@pytest.mark.parametrize(
    "website",
    ["https://argile\x00.example/", "https://argile.example/\x1b[0m", "https://a.example/\x7f"],
)
def test_a_web_address_with_control_characters_is_refused(website: str) -> None:
    """PostgreSQL refuses a NUL in text: it must be a 422 here, not a 500 at the insert."""
    with pytest.raises(ValidationError) as refused:
        StartupIn.model_validate({**STARTUP, "website": website})
    assert refused.value.errors()[0]["loc"] == ("website",)
