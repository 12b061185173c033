"""Smoke test of the local FerretDB: it builds, starts, and supports what our services use.

Each check mirrors a MongoDB feature the services rely on, so that a FerretDB upgrade (or a
FerretDB gap) shows up here first rather than as a puzzling service failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError
from rencontres_infra import ferretdb
from rencontres_infra.errors import InfraError


def _cache_dir() -> Path:
    """Share the build cache across runs (and with the dev scripts) so only the first run builds."""
    env = os.environ.get("RENCONTRES_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "rencontres"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_version_matches_go_mod() -> None:
    """FERRETDB_VERSION names the build in the cache; it must not drift from the go.mod pin."""
    go_mod = (ferretdb.SOURCE_DIR / "go.mod").read_text()
    match = re.search(r"^\s*(?:require\s+)?github\.com/FerretDB/FerretDB\s+(\S+)", go_mod, re.M)
    assert match is not None, "go.mod does not require github.com/FerretDB/FerretDB"
    assert match.group(1) == ferretdb.FERRETDB_VERSION


@pytest.fixture
def ferret_uri(tmp_path: Path) -> Iterator[str]:
    """Provision, start and (always) stop a FerretDB with a fresh data directory."""
    try:
        binary = ferretdb.provision(_cache_dir())
    except InfraError as exc:
        if shutil.which("go") is None:
            pytest.skip(str(exc))
        raise
    port = _free_port()
    log_path = tmp_path / "ferretdb.log"
    proc = ferretdb.start(binary, tmp_path / "data", port, log_path)
    try:
        started = time.monotonic()
        ferretdb.wait_ready(port, proc, log_path)
        print(f"FerretDB ready in {time.monotonic() - started:.2f}s on port {port}")
        yield f"mongodb://127.0.0.1:{port}/"
    finally:
        ferretdb.stop(proc)


async def test_ferretdb_supports_service_operations(ferret_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        ferret_uri, serverSelectionTimeoutMS=5000
    )
    try:
        db = client["smoke"]

        # insert_one / insert_many, unique index and DuplicateKeyError
        people = db["people"]
        await people.create_index([("email", ASCENDING)], unique=True)
        await people.insert_one({"_id": "p1", "email": "a@example.org", "age": 30})
        await people.insert_many(
            [
                {"_id": "p2", "email": "b@example.org", "age": 40},
                {"_id": "p3", "email": "c@example.org", "age": 50},
            ]
        )
        with pytest.raises(DuplicateKeyError):
            await people.insert_one({"_id": "p4", "email": "a@example.org"})
        assert await people.count_documents({}) == 3
        assert await people.count_documents({"age": {"$gte": 40}}) == 2

        # conditional decrement: reserve a seat only while capacity remains
        sessions = db["sessions"]
        await sessions.insert_one({"_id": "s1", "capacity": 2})
        for expected in (1, 0):
            doc = await sessions.find_one_and_update(
                {"_id": "s1", "capacity": {"$gt": 0}},
                {"$inc": {"capacity": -1}},
                return_document=ReturnDocument.AFTER,
            )
            assert doc is not None
            assert doc["capacity"] == expected
        assert (
            await sessions.find_one_and_update(
                {"_id": "s1", "capacity": {"$gt": 0}},
                {"$inc": {"capacity": -1}},
                return_document=ReturnDocument.AFTER,
            )
            is None
        )
        assert await sessions.find_one({"_id": "s1"}) == {"_id": "s1", "capacity": 0}

        # aggregate with $match and $group/$sum
        payments = db["payments"]
        await payments.insert_many(
            [
                {"account": "x", "amount": 10, "status": "paid"},
                {"account": "x", "amount": 5, "status": "paid"},
                {"account": "y", "amount": 7, "status": "paid"},
                {"account": "x", "amount": 100, "status": "void"},
            ]
        )
        totals = [
            doc
            async for doc in await payments.aggregate(
                [
                    {"$match": {"status": "paid"}},
                    {"$group": {"_id": "$account", "total": {"$sum": "$amount"}}},
                    {"$sort": {"_id": 1}},
                ]
            )
        ]
        assert totals == [{"_id": "x", "total": 15}, {"_id": "y", "total": 7}]

        # outbox pattern: $push, index on an array subfield, $pull of a whole element.
        # FerretDB 1.24 only pulls elements equal to the given document (same fields, same
        # order), not by a condition such as {"id": ...}: see the xfail test below.
        regs = db["registrations"]
        await regs.create_index([("outbox.id", ASCENDING)])
        assert "outbox.id_1" in await regs.index_information()
        await regs.insert_one({"_id": "r1", "outbox": []})
        first = {"id": "e1", "kind": "a"}
        second = {"id": "e2", "kind": "b"}
        for entry in (first, second):
            await regs.update_one({"_id": "r1"}, {"$push": {"outbox": entry}})
        found = await regs.find_one({"outbox.id": "e2"})
        assert found == {"_id": "r1", "outbox": [first, second]}
        result = await regs.update_one({"_id": "r1"}, {"$pull": {"outbox": first}})
        assert result.modified_count == 1
        assert await regs.find_one({"_id": "r1"}) == {"_id": "r1", "outbox": [second]}
        assert await regs.count_documents({"outbox.id": "e1"}) == 0

        # idempotent creation: $setOnInsert upsert writes once, then leaves the document alone.
        # (FerretDB 1.24 drops empty arrays from $setOnInsert: see the xfail test below.)
        for attempt in (1, 2):
            res = await regs.update_one(
                {"_id": "r2"},
                {"$setOnInsert": {"created_by": f"attempt-{attempt}", "seats": attempt}},
                upsert=True,
            )
            assert (res.upserted_id is not None) == (attempt == 1)
        assert await regs.find_one({"_id": "r2"}) == {
            "_id": "r2",
            "created_by": "attempt-1",
            "seats": 1,
        }

        # find with sort and limit
        oldest_two = [doc["_id"] async for doc in people.find({}).sort("age", DESCENDING).limit(2)]
        assert oldest_two == ["p3", "p2"]
    finally:
        await client.close()


@pytest.mark.xfail(
    strict=True,
    reason="FerretDB 1.24: $pull with a condition on an element field is a silent no-op "
    "(nModified 0, no error); pull the exact element instead",
)
async def test_pull_by_element_field(ferret_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ferret_uri)
    try:
        regs = client["smoke"]["registrations"]
        await regs.insert_one({"_id": "r1", "outbox": [{"id": "e1", "kind": "a"}]})
        result = await regs.update_one({"_id": "r1"}, {"$pull": {"outbox": {"id": "e1"}}})
        assert result.modified_count == 1
    finally:
        await client.close()


@pytest.mark.xfail(
    strict=True,
    reason="FerretDB 1.24: $elemMatch on a field of array elements matches nothing (no error); "
    "query with dot notation (outbox.id) instead",
)
async def test_elem_match_on_element_field(ferret_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ferret_uri)
    try:
        regs = client["smoke"]["registrations"]
        await regs.insert_one({"_id": "r1", "outbox": [{"id": "e1", "kind": "a"}]})
        assert await regs.find_one({"outbox": {"$elemMatch": {"id": "e1"}}}) is not None
    finally:
        await client.close()


@pytest.mark.xfail(
    strict=True,
    reason="FerretDB 1.24: an empty array in $setOnInsert is silently dropped from the upserted "
    "document; $push creates the array on first use anyway, or put it in $set",
)
async def test_set_on_insert_empty_array(ferret_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ferret_uri)
    try:
        regs = client["smoke"]["registrations"]
        await regs.update_one(
            {"_id": "r1"}, {"$setOnInsert": {"kind": "forum", "outbox": []}}, upsert=True
        )
        assert await regs.find_one({"_id": "r1"}) == {"_id": "r1", "kind": "forum", "outbox": []}
    finally:
        await client.close()


@pytest.mark.infra
async def test_concurrent_writers_to_one_document_lose_nothing(ferret_uri: str) -> None:
    """FerretDB 1.24 alone loses updates here (read-modify-write without a lock); the proxy in
    deploy/local/ferretdb/serialize.go lets one write command at a time through per collection."""
    import asyncio

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ferret_uri, maxPoolSize=40)
    try:
        coll = client["concurrency"]["counters"]
        await coll.insert_one({"_id": "c", "n": 0, "remaining": 10})
        await asyncio.gather(
            *(coll.update_one({"_id": "c"}, {"$inc": {"n": 1}}) for _ in range(60))
        )
        taken = await asyncio.gather(
            *(
                coll.find_one_and_update(
                    {"_id": "c", "remaining": {"$gt": 0}}, {"$inc": {"remaining": -1}}
                )
                for _ in range(40)
            )
        )
        doc = await coll.find_one({"_id": "c"})
        assert doc is not None
        assert doc["n"] == 60
        assert sum(t is not None for t in taken) == 10
        assert doc["remaining"] == 0
    finally:
        await client.close()
