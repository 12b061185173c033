"""Group commit: one write for what many concurrent tasks ask to have written.

Each caller awaits its own item; the first starts a flush, and whatever callers add while a
write is in flight goes together into the next one. No timer and no wait when alone: under
load the groups grow by themselves (as many as finished during one round trip), when quiet
each item is written at once. A caller returns only once its item's write is done, and sees
that write's exception if it failed. The writes run in a task of their own, so a caller
cancelled meanwhile stops nobody else's.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Grouped(Generic[T]):
    def __init__(self, write: Callable[[list[T]], Awaitable[None]], limit: int = 500) -> None:
        self._write, self._limit = write, limit
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            group, self._pending = self._pending[: self._limit], self._pending[self._limit :]
            try:
                await self._write([item for item, _ in group])
            except Exception as exc:  # every caller of the group sees it
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in group:
                    if not done.done():
                        done.set_result(None)
