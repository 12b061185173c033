"""Group commit (`grouped.py`), pure logic: a fake write that records its groups."""

import asyncio

import pytest
from rencontres_notify.grouped import Grouped


async def test_what_finishes_during_a_write_goes_into_the_next_one_and_alone_goes_at_once() -> None:
    groups: list[list[int]] = []

    async def write(items: list[int]) -> None:
        groups.append(items)
        await asyncio.sleep(0.01)

    grouped = Grouped(write, limit=3)
    await grouped(0)  # alone: written at once, nothing waits for company
    await asyncio.gather(*(grouped(i) for i in range(1, 6)))

    assert groups == [[0], [1, 2, 3], [4, 5]]  # together, up to the limit


async def test_every_caller_of_a_failed_write_sees_its_error_and_the_next_write_goes_on() -> None:
    async def write(items: list[int]) -> None:
        await asyncio.sleep(0.01)
        if 2 in items:
            raise RuntimeError("database down")

    grouped = Grouped(write)
    first = asyncio.create_task(grouped(1))
    await asyncio.sleep(0)
    results = await asyncio.gather(grouped(2), grouped(3), return_exceptions=True)
    await first
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    await grouped(4)  # a new write after the failed one


async def test_a_cancelled_caller_stops_nobody_elses_write() -> None:
    written: list[int] = []

    async def write(items: list[int]) -> None:
        await asyncio.sleep(0.02)
        written.extend(items)

    grouped = Grouped(write)
    starter = asyncio.create_task(grouped(1))
    await asyncio.sleep(0)
    other = asyncio.create_task(grouped(2))
    await asyncio.sleep(0.005)
    starter.cancel()
    await other
    with pytest.raises(asyncio.CancelledError):
        await starter
    assert written == [1, 2]
