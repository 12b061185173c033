"""The MongoDB client, built from a URI, and a readiness probe."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase


def connect(uri: str, app_name: str) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(uri, appname=app_name, serverSelectionTimeoutMS=5000, tz_aware=True)


async def ping(db: AsyncDatabase[dict[str, Any]]) -> object:
    return await db.command("ping")
