"""Request models for registration tests, valid unless a test changes them."""

import uuid
from typing import Any

from rencontres_registration.schemas import (
    IncubatorIn,
    PoolJoinIn,
    PoolOpenIn,
    StandIn,
    StudentPassIn,
)

ORGANISATION: dict[str, Any] = {
    "legal_name": "Céramiques du Gard SAS",
    "siret": "73282932000074",
    "billing_address": {"line1": "6 avenue de Clavières", "postal_code": "30100", "city": "Alès"},
}


def email(prefix: str = "p") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@example.fr"


def contact(**overrides: Any) -> dict[str, Any]:
    return {"name": "Claire Martin", "email": email(), **overrides}


def stand(edition: str = "small-1", **overrides: Any) -> StandIn:
    return StandIn.model_validate(
        {
            "offer": "stand",
            "edition_id": edition,
            "contact": contact(),
            "organisation": ORGANISATION,
            "data_consent": True,
            **overrides,
        }
    )


def student(edition: str = "small-1") -> StudentPassIn:
    return StudentPassIn.model_validate(
        {
            "offer": "student_pass",
            "edition_id": edition,
            "contact": contact(name="Léa Dubois"),
            "student": {"school": "enscm", "programme": "Chimie", "year": 2},
            "data_consent": True,
        }
    )


def incubator() -> IncubatorIn:
    return IncubatorIn.model_validate(
        {
            "offer": "incubator_application",
            "contact": contact(name="Sami Haddad"),
            "startup": {
                "project_name": "Biochar du Gard",
                "founders": ["Sami Haddad", "Inès Roux"],
                "description": "Du biochar à partir des déchets de taille des vignes.",
                "stage": "prototype",
            },
            "data_consent": True,
        }
    )


def pool_open(edition: str = "small-1") -> PoolOpenIn:
    return PoolOpenIn.model_validate(
        {
            "edition_id": edition,
            "pool_name": "PME du Gard",
            "contact": contact(),
            "organisation": ORGANISATION,
            "data_consent": True,
        }
    )


def pool_join(key: str) -> PoolJoinIn:
    return PoolJoinIn.model_validate(
        {
            "invitation_key": key,
            "contact": contact(name="Marc Petit"),
            "organisation": ORGANISATION,
            "data_consent": True,
        }
    )
