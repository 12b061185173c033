"""Form fields → model input, and pydantic errors → one message per field, per language."""

from typing import Any

import pytest
from pydantic import ValidationError
from rencontres_contracts.events.common import Language
from rencontres_registration.forms import (
    FORMS,
    FormName,
    field_errors,
    field_id,
    refusal_message,
    to_nested,
)
from rencontres_registration.schemas import IncubatorIn, PoolJoinIn, StandIn, StudentPassIn

STAND_FORM = {
    "csrf_token": "ignored",
    "idempotency_key": "ignored",
    "website_url": "",
    "edition_id": "ales-2027-11-17",
    "join_waiting_list": "on",
    "contact.name": "  Claire Martin ",
    "contact.email": "claire@example.fr",
    "contact.phone": "",
    "contact.sms_consent": "on",
    "organisation.legal_name": "Céramiques du Gard SAS",
    "organisation.siret": "732 829 320 00074",
    "organisation.vat_number": "",
    "organisation.billing_address.line1": "6 avenue de Clavières",
    "organisation.billing_address.line2": "",
    "organisation.billing_address.postal_code": "30100",
    "organisation.billing_address.city": "Alès",
    "organisation.billing_address.country": "FR",
    "data_consent": "on",
}


def _errors(
    model: Any, form: dict[str, str], name: FormName, language: Language = "fr"
) -> dict[str, str]:
    nested = to_nested(FORMS[name], form)
    with pytest.raises(ValidationError) as caught:
        model.model_validate(nested)
    return field_errors(FORMS[name], caught.value, language)


def test_a_filled_stand_form_becomes_the_api_input() -> None:
    nested = to_nested(FORMS["stand"], STAND_FORM)
    stand = StandIn.model_validate({**nested, "offer": "stand"})
    assert stand.contact.name == "Claire Martin"
    assert stand.contact.phone is None and stand.contact.sms_consent is True
    assert stand.organisation.siret == "73282932000074"
    assert stand.organisation.vat_number is None
    assert stand.organisation.billing_address.city == "Alès"
    assert stand.organisation.billing_address.line2 is None
    assert stand.join_waiting_list is True
    assert "csrf_token" not in nested and "website_url" not in nested


def test_unticked_boxes_are_false_but_an_unticked_consent_is_missing() -> None:
    form = {k: v for k, v in STAND_FORM.items() if k not in ("join_waiting_list", "data_consent")}
    nested = to_nested(FORMS["stand"], {**form, "contact.sms_consent": ""})
    assert nested["join_waiting_list"] is False
    assert nested["contact"]["sms_consent"] is False
    assert "data_consent" not in nested


def test_founders_are_one_per_line_and_the_year_a_number() -> None:
    form = {
        "contact.name": "Hugo",
        "contact.email": "hugo@example.fr",
        "startup.project_name": "Argile Verte",
        "startup.founders": "Hugo Lambert\r\n\r\n  Sarah Benali \n",
        "startup.description": "Des briques crues à base d'argile locale.",
        "startup.stage": "prototype",
        "data_consent": "on",
    }
    nested = to_nested(FORMS["incubator"], form)
    assert nested["startup"]["founders"] == ["Hugo Lambert", "Sarah Benali"]
    assert IncubatorIn.model_validate({**nested, "offer": "incubator_application"})
    student = to_nested(FORMS["student"], {"student.year": " 3 "})
    assert student["student"]["year"] == "3"


def test_the_join_form_carries_its_invitation_key() -> None:
    form = {k: v for k, v in STAND_FORM.items() if k != "edition_id"}
    nested = to_nested(FORMS["pool_join"], {**form, "invitation_key": "abcdefgh12345"})
    assert PoolJoinIn.model_validate(nested).invitation_key == "abcdefgh12345"


def test_an_empty_form_names_every_required_field() -> None:
    errors = _errors(StandIn, {}, "stand")
    required = {f.name for f in FORMS["stand"].fields() if f.required and f.default is None}
    assert set(errors) >= required - {"offer"}
    assert errors["contact.name"] == "Ce champ est obligatoire."
    assert errors["edition_id"] == "Choisissez une option."
    assert errors["organisation.billing_address.city"] == "Ce champ est obligatoire."
    assert "accepter le traitement" in errors["data_consent"]


@pytest.mark.parametrize(
    ("field", "value", "french", "english"),
    [
        (
            "organisation.siret",
            "732 829 320 00075",
            "SIRET n'est pas valide",
            "SIRET number is not",
        ),
        ("contact.email", "claire@", "adresse email valide", "valid email address"),
        ("contact.phone", "12", "numéro de téléphone", "phone number is not valid"),
        ("contact.name", "x" * 121, "trop long", "too long: 120 characters"),
        ("contact.name", "<script>", "caractères non autorisés", "not allowed"),
        ("organisation.billing_address.postal_code", "3", "code postal", "postal code"),
        ("organisation.vat_number", "123", "code pays", "country code"),
    ],
)
def test_common_errors_read_well_in_both_languages(
    field: str, value: str, french: str, english: str
) -> None:
    form = {**STAND_FORM, field: value}
    model = StandIn
    assert french in _errors(model, {**form, "offer": "stand"}, "stand", "fr")[field]
    assert english in _errors(model, form, "stand", "en")[field]


def test_student_and_incubator_specific_errors() -> None:
    errors = _errors(StudentPassIn, {"student.year": "neuf", "student.school": "x"}, "student")
    assert errors["student.year"] == "Saisissez un nombre entier."
    assert errors["student.school"] == "Choisissez une option."
    errors = _errors(StudentPassIn, {"student.year": "9"}, "student", "en")
    assert errors["student.year"] == "Enter a number between 1 and 8."
    errors = _errors(
        IncubatorIn,
        {"startup.description": "trop court", "startup.website": "www.x.fr"},
        "incubator",
    )
    assert "20 caractères" in errors["startup.description"]
    assert "https://" in errors["startup.website"]
    assert "un par ligne" in errors["startup.founders"]


def test_refusals_from_the_service_are_translated() -> None:
    assert "liste d'attente" in refusal_message("edition_full", "fr")
    assert "share" in refusal_message("no_stand_to_share", "en")
    assert "closes" in refusal_message("edition_closed", "fr")
    assert "invitation" in refusal_message("invitation_unknown", "en")
    assert "fermé" in refusal_message("pool_closed", "fr")
    assert "fermé" in refusal_message("pool_full", "fr")
    assert "incubateur" in refusal_message("call_closed", "fr")


def test_field_ids_are_valid_html_ids() -> None:
    assert field_id("organisation.billing_address.city") == "f-organisation-billing-address-city"
    ids = [f.id for spec in FORMS.values() for f in spec.fields()]
    for spec in FORMS.values():
        names = [f.name for f in spec.fields()]
        assert len(names) == len(set(names)), spec.name
    assert all(i.replace("-", "").isalnum() for i in ids)
