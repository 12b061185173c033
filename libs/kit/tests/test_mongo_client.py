"""The services' MongoDB client waits for a majority of a replica set, at most 10 s, unless the
URI says otherwise (pure: the client connects lazily, nothing is contacted)."""

from rencontres_kit.mongo import connect


async def test_writes_wait_for_a_majority_by_default() -> None:
    client = connect("mongodb://127.0.0.1:27017/", "test")
    try:
        assert client.write_concern.document == {"w": "majority", "wtimeout": 10_000}
    finally:
        await client.close()


async def test_a_write_concern_in_the_uri_wins() -> None:
    client = connect("mongodb://127.0.0.1:27017/?replicaSet=rs0&W=1&wtimeoutMS=500", "test")
    try:
        assert client.write_concern.document == {"w": 1, "wtimeout": 500}
    finally:
        await client.close()
