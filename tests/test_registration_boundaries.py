"""Every field of every public input model at its boundaries, over HTTP through the whole
registration app (middleware, validation, error mapping) on the real database: never a 5xx,
and a refused request holds no place.

The app runs in-process on a throwaway database, without its outbox relay: hundreds of
registrations must not queue mail behind the other tests' in the shared notify service.

The values come from the API models themselves (their JSON Schema: lengths, patterns, ranges,
enums), one field at a time on an otherwise valid request, so a limit the API accepts but the
contract events refuse (a 110-character city, a VAT number with accents) shows up as a 500
after the place was taken, which this test catches.
"""

import copy
import string
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pymongo import MongoClient
from rencontres_infra.stack import Endpoints
from rencontres_registration.app import create_app
from rencontres_registration.catalog import DEFAULT_CATALOG
from rencontres_registration.schemas import (
    IncubatorIn,
    PoolJoinIn,
    PoolOpenIn,
    StandIn,
    StudentPassIn,
)
from rencontres_registration.settings import Settings

from tests.helpers import STAFF, stand_request, student_request

pytestmark = pytest.mark.infra
EDITION = "fuzz-2027-11-19"
Json = dict[str, Any]
Leaf = tuple[tuple[str | int, ...], Json]

LETTERS = st.characters(categories=["Lu", "Ll"], exclude_characters="\x00")
"""Letters of every script: ASCII and accented Latin, Greek, CJK…"""


def _resolve(schema: Json, defs: Json) -> Json:
    if "$ref" in schema:
        return _resolve(defs[schema["$ref"].split("/")[-1]], defs)
    if "anyOf" in schema:  # `X | None`: the boundaries of X
        return _resolve(next(s for s in schema["anyOf"] if s.get("type") != "null"), defs)
    return schema


def leaves(model: type[BaseModel]) -> list[Leaf]:
    """Every scalar field of a model, nested ones included, with its JSON Schema."""
    root = model.model_json_schema()
    defs = root.get("$defs", {})
    found: list[Leaf] = []

    def walk(schema: Json, path: tuple[str | int, ...]) -> None:
        schema = _resolve(schema, defs)
        if schema.get("type") == "object" or "properties" in schema:
            for name, sub in schema.get("properties", {}).items():
                walk(sub, (*path, name))
        elif schema.get("type") == "array":
            found.append((path, schema))
            walk(schema["items"], (*path, 0))
        else:
            found.append((path, schema))

    walk(root, ())
    return found


def boundary(schema: Json) -> st.SearchStrategy[Any]:
    """Values at and just past a field's declared limits (some valid, some not)."""
    kind = schema.get("type")
    if "const" in schema or "enum" in schema:
        return st.sampled_from(schema.get("enum", [schema.get("const")]))
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low, high = schema.get("minimum", -(2**31)), schema.get("maximum", 2**31)
        return st.sampled_from([low, high, low - 1, high + 1])
    if kind == "array":
        low, high = schema.get("minItems", 0), schema.get("maxItems", 8)
        return st.sampled_from([low, high, high + 1]).map(lambda n: ["Ana Lopez"] * n)
    if schema.get("format") == "email":
        return st.sampled_from(
            [
                f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.fr",  # 254 characters
                f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 58}.fr",  # 255
                f"é{uuid.uuid4().hex[:6]}@exemple.fr",
                "a@b.fr",
            ]
        )
    low, high = schema.get("minLength", 0), schema.get("maxLength", 300)
    sizes = st.sampled_from(sorted({low, max(low - 1, 0), high, high + 1, (low + high) // 2}))
    options = [sizes.flatmap(lambda n: st.text(LETTERS, min_size=n, max_size=n))]
    options.append(sizes.map(lambda n: ("FR" + string.ascii_uppercase * 20)[:n]))
    options.append(sizes.map(lambda n: ("7" * 40)[:n]))
    if "pattern" in schema:
        options.append(st.from_regex(schema["pattern"], fullmatch=True))
    return st.one_of(options)


def explicit(schema: Json) -> list[Any]:
    """The same limits, written out: each one is tried on every run."""
    kind = schema.get("type")
    if kind in ("boolean", "integer", "array") or {"const", "enum"} & schema.keys():
        return []  # few values: the random exploration covers them
    if schema.get("format") == "email":
        return [f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.fr"]
    high = schema.get("maxLength", 300)
    return ["É" * high, ("FR" + "7" * high)[:high], "a" * (high + 1)]


def _set(body: Json, path: tuple[str | int, ...], value: Any) -> None:
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


ORGANISATION = stand_request("x@example.fr")["organisation"] | {"vat_number": "FR44732829320"}


def _contact() -> Json:
    email = f"bound.{uuid.uuid4().hex[:12]}@example.fr"
    return {"name": "Claire Martin", "email": email, "phone": "0612345678", "sms_consent": False}


def _valid(model: type[BaseModel], invitation_key: str) -> Json:
    """A valid request of each public model, with every optional field filled."""
    contact = _contact()
    if model is StandIn:
        body = stand_request(contact["email"], EDITION)
        return body | {"contact": contact, "organisation": copy.deepcopy(ORGANISATION)}
    if model is StudentPassIn:
        body = student_request(contact["email"], EDITION)
        return body | {"contact": contact} | {"student": body["student"] | {"school_other": "X"}}
    if model is IncubatorIn:
        startup = {
            "project_name": "Biochar du Gard",
            "founders": ["Sami Haddad"],
            "description": "Du biochar à partir des déchets de taille des vignes.",
            "stage": "prototype",
            "website": "https://biochar.example.fr",
        }
        return {
            "offer": "incubator_application",
            "contact": contact,
            "startup": startup,
            "data_consent": True,
        }
    common = {"contact": contact, "organisation": copy.deepcopy(ORGANISATION), "data_consent": True}
    if model is PoolOpenIn:
        return {"edition_id": EDITION, "pool_name": "PME du Gard", **common}
    return {"invitation_key": invitation_key, **common}


MODELS: list[type[BaseModel]] = [StandIn, StudentPassIn, IncubatorIn, PoolOpenIn, PoolJoinIn]
Case = tuple[type[BaseModel], Leaf]
CASES: list[Case] = [(model, leaf) for model in MODELS for leaf in leaves(model)]


DATABASE = f"t_bounds_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def api(endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    catalog = tmp_path_factory.mktemp("catalog") / "catalog.yaml"
    edition = f"""
  - {{id: {EDITION}, campus: ales, campus_name: "IMT Mines Alès", date: 2027-11-19,
     stands: 1000, student_passes: 1000, registration_deadline: 2027-11-03T23:59:00+01:00}}
"""
    shipped = DEFAULT_CATALOG.read_text(encoding="utf-8")
    catalog.write_text(shipped.replace("\noffers:", edition + "offers:", 1), encoding="utf-8")
    settings = Settings(
        mongodb_uri=endpoints.mongodb_uri,
        database=DATABASE,
        catalog_path=catalog,
        rate_limit_per_second=0,
    )
    app = create_app(settings)
    registrations = app.state.registrations

    @asynccontextmanager
    async def without_relay(_: Any) -> AsyncIterator[None]:
        await registrations.store.create_indexes()
        await registrations.ensure_capacity()
        yield

    app.router.lifespan_context = without_relay
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def capacity(endpoints: Endpoints) -> Iterator[Any]:
    client: MongoClient[Json] = MongoClient(endpoints.mongodb_uri, tz_aware=True)
    yield client[DATABASE]
    client.drop_database(DATABASE)
    client.close()


@pytest.fixture(scope="module")
def pool(api: TestClient) -> tuple[str, str]:
    """An open shared stand whose invitation the join requests use."""
    opened = api.post("/api/pools", json=_valid(PoolOpenIn, ""))
    assert opened.status_code == 201, opened.text
    url = httpx.URL(opened.json()["invitation_url"])
    return opened.json()["pool"]["id"], url.params["k"]


def _taken(db: Any) -> dict[str, int]:
    return {c["_id"]: c["taken"] for c in db["capacity"].find({"edition_id": EDITION})}


def test_every_field_of_every_model_is_covered() -> None:
    paths = {(m.__name__, ".".join(map(str, p))) for m, (p, _) in CASES}
    assert ("PoolOpenIn", "organisation.billing_address.city") in paths
    assert ("StandIn", "organisation.vat_number") in paths
    assert ("IncubatorIn", "startup.website") in paths
    assert len(paths) > 60


def _try(api: TestClient, db: Any, pool: tuple[str, str], case: Case, value: Any) -> None:
    model, (path, _) = case
    body = _valid(model, pool[1])
    _set(body, path, value)
    url = {
        PoolOpenIn: "/api/pools",
        PoolJoinIn: f"/api/pools/{pool[0]}/members",
    }.get(model, "/api/registrations")
    before = _taken(db)
    response = api.post(url, json=body)
    where = (model.__name__, ".".join(map(str, path)), value, response.text)
    assert response.status_code < 500, where
    if response.status_code >= 400:
        assert _taken(db) == before, where
        placing = db["registrations"].count_documents({"status": "placing", "edition_ids": EDITION})
        assert placing == 0, ("a refused request left a registration half placed", where)
        return
    created = response.json().get("registration", response.json())
    cancelled = api.post(f"/api/staff/registrations/{created['id']}/cancel", headers=STAFF)
    assert cancelled.status_code in (200, 409), cancelled.text


def test_each_field_at_its_length_limits(
    api: TestClient, capacity: Any, pool: tuple[str, str]
) -> None:
    for case in CASES:
        for value in explicit(case[1][1]):
            _try(api, capacity, pool, case, value)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_boundary_values_never_500_and_refusals_hold_no_place(
    data: st.DataObject, api: TestClient, capacity: Any, pool: tuple[str, str]
) -> None:
    case = data.draw(st.sampled_from(CASES), label="field")
    _try(api, capacity, pool, case, data.draw(boundary(case[1][1]), label="value"))
