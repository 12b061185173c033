"""The MongoDB client, built from a URI, a readiness probe, and inserts that keep repeats."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

WRITE_TIMEOUT_MS = 10_000


def connect(uri: str, app_name: str) -> AsyncMongoClient[dict[str, Any]]:
    """Writes are acknowledged once a majority of a replica set holds them (`w=majority`,
    journaled there by MongoDB's default), so a failover never loses an invoice number or a
    recorded delivery that was acknowledged; said here rather than left to the cluster's
    default, which an operator can change. A write that no majority confirms within 10 s
    (`wtimeoutMS`: a set that lost its majority) fails instead of holding its caller for
    ever; it may still have been applied, which every writer here tolerates (inserts of
    fixed ids, conditional updates). A `w` or `wtimeoutMS` in the URI wins. A single server
    (the local FerretDB, a standalone MongoDB) treats majority as itself."""
    given = {key.lower() for key in parse_qs(urlsplit(uri).query, keep_blank_values=True)}
    concern: dict[str, Any] = {}
    if "w" not in given:
        concern["w"] = "majority"
    if "wtimeoutms" not in given:
        concern["wTimeoutMS"] = WRITE_TIMEOUT_MS
    return AsyncMongoClient(
        uri, appname=app_name, serverSelectionTimeoutMS=5000, tz_aware=True, **concern
    )


async def ping(db: AsyncDatabase[dict[str, Any]]) -> object:
    return await db.command("ping")


DUPLICATE_KEY = 11000


async def insert_new(
    collection: AsyncCollection[dict[str, Any]], docs: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Insert the documents in one unordered `insert_many`; those that went in. The others hit
    a unique key already there (a repeat: a redelivered event, a helper that wrote it first);
    any other error raises."""
    if not docs:
        return []
    try:
        await collection.insert_many(list(docs), ordered=False)
    except BulkWriteError as exc:
        errors = exc.details["writeErrors"]
        if any(e["code"] != DUPLICATE_KEY for e in errors):
            raise
        refused = {e["index"] for e in errors}
        return [doc for i, doc in enumerate(docs) if i not in refused]
    return list(docs)
