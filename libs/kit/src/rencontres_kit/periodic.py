"""A coroutine run every few seconds in the background; a failing run is logged, not fatal."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, run: Callable[[], Awaitable[Any]], interval: float) -> None:
        self.name, self._run_once, self._interval = name, run, interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self._run_once()
            except Exception:
                log.exception("%s failed; next run in %.0f s", self.name, self._interval)
            await asyncio.sleep(self._interval)
