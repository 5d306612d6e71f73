"""A team monitor's live connection: joins the team's group and forwards its pushes."""

from __future__ import annotations

import asyncio
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F

from agentdesk.language.sockets import language_group, scope_language
from agentdesk.liveaccess.consumers import AccessCheckedConsumer
from agentdesk.shared.asyncdb import db_async
from agentdesk.teams.access import AnyUser, visible_team
from agentdesk.teams.models import Team

from . import live, push
from .push import team_group


def _count_monitor(team_id: int, delta: int) -> None:
    Team.objects.filter(pk=team_id).update(monitors_open=F("monitors_open") + delta)
    Team.objects.filter(pk=team_id, monitors_open__lt=0).update(monitors_open=0)


def _may_watch(user: AnyUser | None, team_id: int) -> bool:
    return visible_team(user, team_id) is not None


def _may_still_watch(user_id: int, team_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return _may_watch(user, team_id)


class MonitorConsumer(AccessCheckedConsumer):
    group: str = ""
    language_group: str = ""
    _late_resync: asyncio.Task[Any] | None = None

    async def connect(self) -> None:
        team_id = int(self.scope["url_route"]["kwargs"]["team_id"])
        if not await db_async(_may_watch)(self.scope.get("user"), team_id):
            await self.close(code=4403)
            return
        self.team_id = team_id
        self.group = team_group(team_id)
        # Pushes rendered per language come to the group of this page's language; the team's
        # plain group carries anything language-neutral.
        self.language_group = language_group(self.group, scope_language(self.scope))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.language_group, self.channel_name)
        await db_async(_count_monitor)(team_id, +1)
        await self.accept()
        await self.keep_access_checked()
        if self.access_ended:
            return
        # Resync: the current truth from the database.
        await self.send(text_data=await live.render_team(team_id) or "")
        if push.unwatched_seconds() > 0:
            # Once more when no worker can still think this team unwatched (push.py).
            self._late_resync = asyncio.get_running_loop().create_task(self._resync_later())

    async def _resync_later(self) -> None:
        await asyncio.sleep(push.unwatched_seconds() + 0.25)
        # Through the channel, so it runs in turn with the pushes.
        await self.channel_layer.send(self.channel_name, {"type": "monitor.resync"})

    async def monitor_resync(self, event: dict[str, Any]) -> None:
        if not self.access_ended:
            await self.send(text_data=await live.render_team(self.team_id) or "")

    async def disconnect(self, code: int) -> None:
        if self._late_resync is not None:
            self._late_resync.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.language_group, self.channel_name)
            await db_async(_count_monitor)(self.team_id, -1)

    def allowed(self, user_id: int) -> bool:
        return _may_still_watch(user_id, self.team_id)

    def groups_to_leave(self) -> tuple[str, ...]:
        return (self.group,) if self.group else ()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Monitors only listen."""

    async def monitor_push(self, event: dict[str, Any]) -> None:
        for frame in event.get("frames") or [event["html"]]:
            await self.send(text_data=frame)
