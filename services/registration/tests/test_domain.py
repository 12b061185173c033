"""The registration rules without I/O: identities, transitions, pools, catalog."""

from datetime import UTC, datetime

import pytest
from rencontres_registration.catalog import load_catalog, parse_catalog
from rencontres_registration.domain import (
    RegistrationRefused,
    TransitionRefused,
    check_edition,
    check_transition,
    dedupe_keys,
    new_reference,
    placed_status,
    pool_close_reason,
    pool_deadline,
    resource_for,
    split_cents,
)
from rencontres_registration.formatting import format_day
from rencontres_registration.identity import is_valid_siret, normalise_phone

from services.registration.tests.conftest import CATALOG


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("73282932000074", True),  # a real, Luhn-valid SIRET
        ("73282932000075", False),  # one digit off
        ("35600000000010", True),  # La Poste: digit sum divisible by 5, not Luhn
        ("35600000000011", False),
        ("7328293200007", False),  # 13 digits
        ("7328293200007A", False),
    ],
)
def test_siret_check_key_and_la_poste_exception(siret: str, valid: bool) -> None:
    assert is_valid_siret(siret) is valid


def test_phones_are_normalised_to_e164_with_france_by_default() -> None:
    assert normalise_phone("06 12 34 56 78") == "+33612345678"
    assert normalise_phone("+32 470 12 34 56") == "+32470123456"
    with pytest.raises(ValueError, match="valid phone"):
        normalise_phone("06 12")


def test_split_cents_adds_up_and_gives_odd_cents_to_the_first() -> None:
    assert split_cents(60000, 3) == [20000, 20000, 20000]
    assert split_cents(10000, 3) == [3334, 3333, 3333]
    assert sum(split_cents(60001, 4)) == 60001


@pytest.mark.parametrize(
    ("members", "deadline_passed", "reason"),
    [(4, False, "full"), (3, False, None), (3, True, "deadline"), (1, True, "unfilled")],
)
def test_when_a_shared_stand_closes(
    members: int, deadline_passed: bool, reason: str | None
) -> None:
    assert pool_close_reason(members, 2, 4, deadline_passed) == reason


def test_transitions_allow_only_what_the_state_allows() -> None:
    check_transition("accept_offer", "offered")
    check_transition("cancel", "waitlisted")
    for action, status in [("pay", "confirmed"), ("cancel", "cancelled"), ("review", "accepted")]:
        with pytest.raises(TransitionRefused):
            check_transition(action, status)  # type: ignore[arg-type]


def test_status_after_placement() -> None:
    catalog = parse_catalog(CATALOG)
    assert placed_status(catalog.offer("stand"), got_place=True) == "reserved"
    assert placed_status(catalog.offer("stand"), got_place=False) == "waitlisted"
    assert placed_status(catalog.offer("student_pass"), got_place=True) == "confirmed"
    assert placed_status(catalog.offer("incubator_application"), got_place=True) == "submitted"
    assert resource_for("pool_seat") is None  # its pool holds the stand


def test_editions_close_at_their_deadline() -> None:
    catalog = parse_catalog(CATALOG)
    assert check_edition(catalog, "small-1", datetime(2027, 11, 3, 20, tzinfo=UTC)).id == "small-1"
    with pytest.raises(RegistrationRefused, match="closed"):
        check_edition(catalog, "small-1", datetime(2027, 11, 4, tzinfo=UTC))
    with pytest.raises(RegistrationRefused, match="small-2"):
        check_edition(catalog, "nowhere", datetime(2027, 1, 1, tzinfo=UTC))


def test_pool_deadline_is_days_before_the_edition_and_never_after_registration_closes() -> None:
    catalog = parse_catalog(CATALOG)
    edition = catalog.editions["small-1"]
    assert pool_deadline(edition, 21).date().isoformat() == "2027-10-27"
    assert pool_deadline(edition, 0) == edition.registration_deadline


def test_one_dedupe_key_per_edition_case_insensitive() -> None:
    assert dedupe_keys("Claire@Example.fr", "stand", ["a", "b"]) == [
        "claire@example.fr|stand|a",
        "claire@example.fr|stand|b",
    ]


def test_references_are_readable_and_unambiguous() -> None:
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    for ref in refs:
        assert ref.startswith("RC-") and len(ref) == 12
        assert not set(ref[3:]) & set("ILOU")


def test_the_shipped_catalog_is_the_next_forum() -> None:
    catalog = load_catalog()
    campuses = {e.campus for e in catalog.editions.values()}
    days = sorted({e.date for e in catalog.editions.values()})
    assert campuses == {"ales", "montpellier"}
    assert len(days) == 2 and (days[1] - days[0]).days == 1 and days[0].month == 11
    assert catalog.offer("stand").unit_price_excl_vat_cents == 60000
    assert catalog.incubator_call.closes > catalog.incubator_call.opens
    lines = catalog.lines_for(catalog.offer("stand"), ["ales-2027-11-17"], "fr")
    assert lines[0].description == "Stand entreprise — IMT Mines Alès, 17 novembre 2027"


def test_days_read_naturally_in_both_languages() -> None:
    day = datetime(2027, 11, 1).date()
    assert format_day(day, "fr") == "1er novembre 2027"
    assert format_day(day, "en") == "November 1, 2027"
