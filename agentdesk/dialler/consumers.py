"""An import's live progress: the page joins the job's group; on connect it gets the current
figures, and a job left running by a restarted server is picked up again."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer

from agentdesk.asyncdb import db_async
from agentdesk.language.sockets import language_group, scope_language
from agentdesk.teams.access import teams_for

from . import bulk
from .models import ImportJob


def _job_for(user, job_id: int) -> tuple[ImportJob | None, set[int] | None]:
    if not user or not user.is_authenticated:
        return None, None
    job = ImportJob.objects.filter(pk=job_id, team__in=teams_for(user)).first()
    if job is None:
        return None, None
    return job, None if user.is_superuser else bulk.allowed_campaign_ids(job.team)


class ImportConsumer(AsyncWebsocketConsumer):
    group = ""

    async def connect(self) -> None:
        job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        user = self.scope.get("user")
        job, allowed = await db_async(_job_for)(user, job_id)
        if job is None:
            await self.close(code=4403)
            return
        self.group = language_group(bulk.job_group(job_id), scope_language(self.scope))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=await db_async(bulk.render_progress)(job))
        if job.state == ImportJob.RUNNING:
            bulk.start(job, allowed=allowed, actor=f"csv:{user.get_username()}")

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def import_push(self, event: dict) -> None:
        await self.send(text_data=event["html"])
