"""Schemathesis against the running registration service: every documented operation.

Two tests. The first lets schemathesis generate requests for every operation of
`/openapi.json` (public and staff, with the staff token) and checks that none gets a 5xx,
that every status code is documented and that every body matches its documented schema.
Generated bodies are mostly refused (422), so the second test builds bodies that are valid
by construction (real editions, Luhn-valid SIRETs, fresh emails) and walks the happy path
of each operation with real ids and tokens, under the same three checks.

Bounded so the file stays under a minute on two cores: few examples per operation, no
shrinking, no deadline. Reproduce a failure with the exact request printed by schemathesis.
"""

import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import BaseSchema, Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from stdnum import luhn

from tests.helpers import STAFF

pytestmark = pytest.mark.infra

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
POSITIVE_CHECKS = [*CHECKS, positive_data_acceptance]
"""A request the document says is valid must not be refused as invalid (422): the document
declares every format and pattern the service enforces."""


def _valid_siret(siren8: str, nic4: str) -> str:
    """A SIRET whose SIREN and whole number both carry a valid Luhn key."""
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


sirets = st.builds(
    _valid_siret, st.from_regex(r"\A[1-9][0-9]{7}\Z"), st.from_regex(r"\A[0-9]{4}\Z")
)
# The formats the document declares and the service checks, generated as clients would send.
schemathesis.openapi.format("siret", sirets)
schemathesis.openapi.format("eu-vat", st.sampled_from(["FR44732829320", "FR 44 732829320"]))
schemathesis.openapi.format("phone", st.sampled_from(["06 12 34 56 78", "+33 4 66 78 50 00"]))
schemathesis.openapi.format("email", st.uuids().map(lambda u: f"fuzz.{u.hex[:12]}@example.fr"))
BOUNDED = settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its request
    suppress_health_check=list(HealthCheck),
    database=None,
)
LARGE_EDITIONS = ["ales-2027-11-17", "ales-2027-11-18", "montpellier-2027-11-17"]


@pytest.fixture(scope="session")
def registration_api(urls: dict[str, str]) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{urls['registration']}/openapi.json", timeout=10)


def _check(case: Case, checks: list[Any] = CHECKS) -> Response:
    """Send the case with the staff token; raise on a failed check (its message has a curl)."""
    return case.call_and_validate(headers=STAFF, checks=checks, timeout=10)


def _describe(failure: BaseException) -> str:
    """The group's message carries the response and a curl that reproduces it."""
    return getattr(failure, "message", "") or str(failure)


def _kind(failure: BaseException) -> str:
    """What a failure is, without the generated data: "Undocumented status code Received: 400"."""
    parts = failure.exceptions if isinstance(failure, BaseExceptionGroup) else (failure,)
    lines = [[line for line in str(p).splitlines() if line.strip()][:2] for p in parts]
    return "; ".join(sorted(" ".join(pair) for pair in lines))


def test_every_operation_answers_as_documented(registration_api: BaseSchema) -> None:
    """Positive and negative generation for each operation; every distinct failure listed.

    The schemathesis pytest plugin's `from_fixture` breaks on pytest 9 (`Function._nodeid`
    is gone), so the operations are walked here, one small Hypothesis run each.
    """
    findings: dict[tuple[str, str], str] = {}
    operations = []
    for result in registration_api.get_all_operations():
        assert isinstance(result, Ok), f"schema not usable: {result}"
        operations.append(result.ok())
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            books = operation.method.upper() == "POST" and mode is GenerationMode.POSITIVE

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(BOUNDED, max_examples=6 if books else 20)  # a valid POST books a place
            def run(case: Case) -> None:
                positive = case.meta is not None and case.meta.generation.mode.is_positive
                if positive and case.headers and "Idempotency-Key" in case.headers:
                    case.headers["Idempotency-Key"] = str(uuid.uuid4())  # a new request
                if positive and isinstance(case.body, dict) and "edition_id" in case.body:
                    # the document offers every edition; leave the tests' small ones alone
                    case.body["edition_id"] = LARGE_EDITIONS[len(str(case.body)) % 3]
                try:
                    _check(case, POSITIVE_CHECKS if positive else CHECKS)
                except (Exception, FailureGroup) as failure:  # keep going: list them all
                    key = (case.operation.label, _kind(failure))
                    findings.setdefault(key, f"{_describe(failure)}\nbody: {case.body!r}")

            try:
                run()
            except Unsatisfiable:  # nothing to break in an operation without inputs
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert not findings, "\n\n".join(
        f"{label}\n{detail}" for (label, _), detail in sorted(findings.items())
    )


# ---------------------------------------------------------------- valid bodies, happy path


names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "Zs"], exclude_characters="<>"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")
contacts = st.fixed_dictionaries(
    {"name": names, "language": st.sampled_from(["fr", "en"])},
    optional={
        "phone": st.sampled_from(["06 12 34 56 78", "+33 4 66 78 50 00"]),
        "sms_consent": st.booleans(),
    },
)
organisations = st.fixed_dictionaries(
    {
        "legal_name": names,
        "siret": sirets,
        "billing_address": st.fixed_dictionaries(
            {"line1": names, "postal_code": st.from_regex(r"\A[0-9]{5}\Z"), "city": names}
        ),
    }
)
students = st.fixed_dictionaries(
    {
        "school": st.sampled_from(["imt_mines_ales", "enscm", "other"]),
        "programme": names,
        "year": st.integers(1, 8),
    }
)
startups = st.fixed_dictionaries(
    {
        "project_name": names,
        "founders": st.lists(names, min_size=1, max_size=6),
        "description": st.text(
            st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\t"),
            min_size=20,
            max_size=300,
        ).filter(lambda s: len(s.strip()) >= 20),
        "stage": st.sampled_from(["idea", "prototype", "first_customers", "revenue"]),
    }
)
stands = st.fixed_dictionaries(
    {
        "offer": st.just("stand"),
        "edition_id": st.sampled_from(LARGE_EDITIONS),
        "contact": contacts,
        "organisation": organisations,
        "data_consent": st.just(True),
    }
)
passes = st.fixed_dictionaries(
    {
        "offer": st.just("student_pass"),
        "edition_id": st.sampled_from(LARGE_EDITIONS),
        "contact": contacts,
        "student": students,
        "data_consent": st.just(True),
    }
)
applications = st.fixed_dictionaries(
    {
        "offer": st.just("incubator_application"),
        "contact": contacts,
        "startup": startups,
        "data_consent": st.just(True),
    }
)


class Walker:
    """Sends valid requests and keeps every distinct check failure instead of stopping."""

    def __init__(self, api: BaseSchema) -> None:
        self.api = api
        self.findings: dict[tuple[str, str], str] = {}

    def call(self, method: str, path: str, **parts: Any) -> Any:
        case = self.api[path][method].Case(**parts)
        try:
            response = _check(case)
        except (Exception, FailureGroup) as failure:
            key = (case.operation.label, _kind(failure))
            self.findings.setdefault(key, f"{_describe(failure)}\nbody: {case.body!r}")
            return None
        if "json" not in (response.headers.get("content-type") or [""])[0]:
            return None
        return response.json()


def test_valid_bodies_walk_every_operation(registration_api: BaseSchema) -> None:
    walker = Walker(registration_api)
    call = walker.call
    created_ids: list[str] = []

    @given(body=st.one_of(stands, passes, applications))
    @settings(BOUNDED, max_examples=12)
    def walk(body: dict[str, Any]) -> None:
        body["contact"]["email"] = f"fuzz.{uuid.uuid4().hex[:12]}@example.fr"
        created = call("POST", "/api/registrations", body=body)
        assert created is not None, f"valid body refused: {body!r}"
        created_ids.append(created["id"])
        token = parse_qs(urlparse(created["status_url"]).query)["t"][0]
        own = {"path_parameters": {"registration_id": created["id"]}}
        call("GET", "/api/registrations/{registration_id}", **own, query={"t": token})
        call("GET", "/api/staff/registrations/{registration_id}", **own)
        if body["offer"] == "incubator_application":
            call(
                "POST",
                "/api/staff/registrations/{registration_id}/review",
                **own,
                body={"decision": "under_review"},
            )
        # nothing was offered from a waiting list: refused as a conflict
        call("POST", "/api/registrations/{registration_id}/accept", **own, query={"t": token})
        call("POST", "/api/registrations/{registration_id}/cancel", **own, query={"t": token})
        # already cancelled: refused as a conflict
        call("POST", "/api/staff/registrations/{registration_id}/cancel", **own)
        call("DELETE", "/api/staff/registrations/{registration_id}/personal-data", **own)

    walk()
    call("GET", "/api/staff/registrations", query={"offer": "student_pass", "limit": 5})
    call("GET", "/api/staff/registrations.csv", query={"edition_id": "ales-2027-11-17"})
    call("GET", "/api/staff/capacity")
    call("POST", "/api/staff/jobs/run")
    call("GET", "/api/catalog")
    opened = call("POST", "/api/pools", body=_pool_body())
    if opened is not None:
        pool_url = urlparse(opened["invitation_url"])
        key = parse_qs(pool_url.query)["k"][0]
        join = _pool_body()
        del join["edition_id"], join["pool_name"]
        call(
            "POST",
            "/api/pools/{pool_id}/members",
            path_parameters={"pool_id": opened["pool"]["id"]},
            body={**join, "invitation_key": key},
        )
    # a wrong token and an unknown id: both "not found"
    call(
        "GET",
        "/api/registrations/{registration_id}",
        path_parameters={"registration_id": created_ids[0]},
        query={"t": "not-the-token"},
    )
    call(
        "GET",
        "/api/staff/registrations/{registration_id}",
        path_parameters={"registration_id": str(uuid.uuid4())},
    )
    assert created_ids
    assert not walker.findings, "\n\n".join(
        f"{label}\n{detail}" for (label, _), detail in sorted(walker.findings.items())
    )


def _pool_body() -> dict[str, Any]:
    return {
        "edition_id": "ales-2027-11-18",
        "pool_name": "Délégation des PME du Gard",
        "contact": {"name": "Paul Roux", "email": f"fuzz.{uuid.uuid4().hex[:12]}@example.fr"},
        "organisation": {
            "legal_name": "Atelier Roux SARL",
            "siret": _valid_siret("44102912", "0001"),
            "billing_address": {"line1": "1 rue Haute", "postal_code": "30100", "city": "Alès"},
        },
        "data_consent": True,
    }
