"""The daily reminder run: at `reminder_hour` Europe/Paris, once a day across replicas.

Every minute the loop asks whether today's run is due; the run itself is claimed with one
conditional write on a `jobs` document (`last_run_on < today`), so two replicas never both run
it, and a replica that was down at the hour runs it when it comes back the same day.
"""

import logging
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from rencontres_kit.periodic import Periodic

from rencontres_billing.service import Billing

log = logging.getLogger(__name__)
JOB_ID = "daily-reminders"


class ReminderScheduler(Periodic):
    def __init__(
        self, billing: Billing, jobs: AsyncCollection[dict[str, Any]], interval: float = 60.0
    ) -> None:
        super().__init__("reminder-scheduler", self.tick, interval)
        self._billing = billing
        self._jobs = jobs

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
