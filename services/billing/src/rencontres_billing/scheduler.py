"""The daily reminder run: at `reminder_hour` Europe/Paris, once a day across replicas.

Every minute the loop asks whether today's run is due; the run itself is claimed with one
conditional write on a `jobs` document (`last_run_on < today`), so two replicas never both run
it, and a replica that was down at the hour runs it when it comes back the same day.
"""

import asyncio
import logging
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from rencontres_billing.service import Billing

log = logging.getLogger(__name__)
JOB_ID = "daily-reminders"


class ReminderScheduler:
    def __init__(
        self, billing: Billing, jobs: AsyncCollection[dict[str, Any]], interval: float = 60.0
    ) -> None:
        self._billing = billing
        self._jobs = jobs
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> bool:
        """Run today's reminders if they are due and no replica ran them; True if it ran."""
        billing = self._billing
        local = billing.clock().astimezone(billing.zone)
        today = local.date().isoformat()
        if local.hour < billing.settings.reminder_hour:
            return False
        await self._jobs.update_one(
            {"_id": JOB_ID}, {"$setOnInsert": {"last_run_on": ""}}, upsert=True
        )
        claimed = await self._jobs.find_one_and_update(
            {"_id": JOB_ID, "last_run_on": {"$lt": today}}, {"$set": {"last_run_on": today}}
        )
        if claimed is None:
            return False
        done = await billing.run_reminders()
        log.info("daily reminders: %s", done)
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reminder-scheduler")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("daily reminders failed; retrying at the next tick")
            await asyncio.sleep(self._interval)
