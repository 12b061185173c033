"""What one database operation costs on the local FerretDB, in CPU of FerretDB and PostgreSQL.

The registration endpoint's floor is set by the operations its guarantees need per submission
(a conditional capacity write, the insert of the registration with its outbox, the relay's
read and the write that empties the outbox), against the baseline's single insert. Measured
sequentially on one connection, in a database of its own, after the HTTP runs.
"""

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import MongoClient

from bench.registration.cpu import cpu_seconds

OPS = 1500
PAYLOAD = "x" * 1500  # about the size of a registration's outbox entry


def measure(mongodb_uri: str, groups: dict[str, int]) -> list[dict[str, Any]]:
    """ms of CPU per operation for FerretDB and PostgreSQL, and the wall time, per kind."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, tz_aware=True)
    db = client[f"bench_ops_{uuid.uuid4().hex[:8]}"]
    docs, counter = db["docs"], db["counter"]
    counter.insert_one({"_id": "c", "taken": 0})
    ids = [str(uuid.uuid4()) for _ in range(OPS)]
    kinds: list[tuple[str, Callable[[int], object]]] = [
        ("insert, small document (the baseline)", lambda i: docs.insert_one({"n": i})),
        (
            "insert, 2 KB document with an outbox",
            lambda i: docs.insert_one(
                {"_id": ids[i], "outbox": [{"v": PAYLOAD, "at": datetime.now(UTC)}], "owed": True}
            ),
        ),
        ("find_one by _id (the relay's read)", lambda i: docs.find_one({"_id": ids[i]})),
        (
            "conditional $inc by _id (taking a place)",
            lambda i: counter.update_one(
                {"_id": "c", "taken": {"$lt": 10**9}}, {"$inc": {"taken": 1}}
            ),
        ),
        (
            "$set by _id on 2 KB (emptying an outbox)",
            lambda i: docs.update_one({"_id": ids[i]}, {"$set": {"outbox": [], "owed": False}}),
        ),
    ]
    rows = []
    try:
        for name, op in kinds:
            before, started = cpu_seconds(groups), time.perf_counter()
            for i in range(OPS):
                op(i)
            wall = time.perf_counter() - started
            used = {n: s - before[n] for n, s in cpu_seconds(groups).items()}
            rows.append(
                {
                    "operation": name,
                    "wall_ms": round(1000 * wall / OPS, 3),
                    "ferretdb_cpu_ms": round(1000 * used.get("ferretdb", 0.0) / OPS, 3),
                    "postgres_cpu_ms": round(1000 * used.get("postgres", 0.0) / OPS, 3),
                }
            )
    finally:
        client.drop_database(db.name)
        client.close()
    return rows
