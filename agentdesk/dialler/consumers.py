"""An import's live progress. The job runs in a job-runner process, which may be another
machine; the page's socket reads the job's figures from the database twice a second and sends
them when they change (one small aggregate query per open job page)."""

from __future__ import annotations

import asyncio

from channels.generic.websocket import AsyncWebsocketConsumer

from agentdesk.asyncdb import db_async
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


class ImportConsumer(AsyncWebsocketConsumer):
    poller: asyncio.Task | None = None

    async def connect(self) -> None:
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        job = await db_async(_job_for)(self.scope.get("user"), job_id)
        if job is None:
            await self.close(code=4403)
            return
        await self.accept()
        self.poller = asyncio.create_task(self._follow(job_id))

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
