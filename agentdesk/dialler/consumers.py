"""An import's live progress. The job runs in a job-runner process, which may be another
machine; the page's socket reads the job's figures from the database twice a second and sends
them when they change (one small aggregate query per open job page)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.contrib.auth import get_user_model

from agentdesk.liveaccess.consumers import AccessCheckedConsumer
from agentdesk.shared.asyncdb import db_async
from agentdesk.teams.access import AnyUser, teams_for

from . import bulk
from .models import ImportJob

POLL_SECONDS = 0.5


def _job_for(user: AnyUser | None, job_id: int) -> ImportJob | None:
    if not user or not user.is_authenticated:
        return None
    return ImportJob.objects.filter(pk=job_id, team__in=teams_for(user)).first()


def _snapshot(job_id: int) -> tuple[str, str]:
    job = ImportJob.objects.get(pk=job_id)
    return job.state, bulk.render_progress(job)


def _may_still_follow(user_id: int, job_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return _job_for(user, job_id) is not None


class ImportConsumer(AccessCheckedConsumer):
    poller: asyncio.Task[Any] | None = None
    job_id = 0

    async def connect(self) -> None:
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        job = await db_async(_job_for)(self.scope.get("user"), job_id)
        if job is None:
            await self.close(code=4403)
            return
        self.job_id = job_id
        await self.accept()
        await self.keep_access_checked()
        if self.access_ended:
            return
        self.poller = asyncio.create_task(self._follow(job_id))

    def allowed(self, user_id: int) -> bool:
        return _may_still_follow(user_id, self.job_id)

    async def end_access(self) -> None:
        if self.poller is not None:
            self.poller.cancel()
        await super().end_access()

    async def _follow(self, job_id: int) -> None:
        sent = ""
        while True:
            state, html = await db_async(_snapshot)(job_id)
            if html != sent:
                await self.send(text_data=html)
                sent = html
            if state == ImportJob.DONE:
                return
            await asyncio.sleep(POLL_SECONDS)

    async def disconnect(self, code: int) -> None:
        if self.poller is not None:
            self.poller.cancel()
