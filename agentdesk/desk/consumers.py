"""The agent page's live connection: joins the agent's group, forwards pushes, and accepts the
same actions as the views (through the same action functions)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from agentdesk.liveaccess import handshake_cache
from agentdesk.liveaccess.consumers import AccessCheckedConsumer
from agentdesk.shared.asyncdb import db_async

from . import answer, events, inputs, pending, presence, state, timeliness
from .lookups import (
    GroupChoices,
    OutcomeMenu,
    group_choices,
    keep_in_memory,
    outcome_menu,
    page_lookups,
)
from .models import AgentProfile, AgentSession
from .rendering import render_banner, render_live_stored

log = logging.getLogger(__name__)


DESK_SOCKET_PATH = "/ws/desk/"


def _profile_for(user: AbstractBaseUser | AnonymousUser | None) -> AgentProfile | None:
    if not user or not user.is_authenticated:
        return None
    try:
        # get(), not first(): a user has at most one profile, and compiling first()'s ORDER
        # BY was half of this read's cost in a reconnect storm (docs/benchmarks.md).
        return AgentProfile.objects.select_related("user", "team").get(user_id=user.pk)
    except AgentProfile.DoesNotExist:
        return None


def attach_agent_profile(scope: dict[str, Any]) -> None:
    """A desk socket's agent profile, read in the handshake's trip for the session and the
    user (agentdesk/serving/wsauth.py) rather than in a trip of its own; likewise the agent's
    reference data from the shared cache."""
    if scope.get("type") == "websocket" and scope.get("path") == DESK_SOCKET_PATH:
        profile = scope["agent_profile"] = _profile_for(scope.get("user"))
        if profile is not None:
            keep_in_memory(profile)  # the resync's reference data, in the same trip


# A frame is a flat JSON object of text fields (what the page's forms send); anything else is
# answered with an error frame naming what is wrong.
MAX_FRAME_FIELDS = 100


def frame_fields(text: str | None) -> tuple[dict[str, str] | None, str]:
    """The fields of a socket frame, or None and why it cannot be read."""
    try:
        message = json.loads(text or "")
    except (ValueError, RecursionError):
        return None, _("Unreadable message: it is not JSON.")
    if not isinstance(message, dict):
        return None, _("Unreadable message: expected a JSON object of fields.")
    message.pop("HEADERS", None)
    if len(message) > MAX_FRAME_FIELDS:
        return None, _("Unreadable message: too many fields.")
    for name, value in message.items():
        if not isinstance(value, str) or not _encodable(name + value):
            return None, _("Unreadable message: the field %(field)s must be text.") % {
                "field": name[:60].encode("utf-8", "replace").decode()
            }
    return message, ""


REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


def answered(request_id: str) -> str:
    """The mark that ends the page's wait for the action it sent as `request_id` (the page
    matches it; anything but a short token is ignored)."""
    if not REQUEST_ID.fullmatch(request_id):
        return ""
    return f'<div id="socket-answer" hidden hx-swap-oob="true" data-request="{request_id}"></div>'


def _encodable(text: str) -> bool:
    """JSON may carry lone surrogates (\\ud800), which are no text and cannot be sent back."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _identity(profile: AgentProfile) -> tuple[Any, ...]:
    """What a socket acts with: whose profile, the ID sent to LCM, the team its actions are
    logged under, the campaign groups it may work."""
    return (profile.user_id, profile.lcm_agent_id, profile.team_id, profile.campaign_groups)


def _still_agent(user_id: int, profile: AgentProfile) -> bool:
    """Whether the profile the socket holds is still this user's, unchanged (one changed
    since the socket read it would have it act as an identity that is no longer the agent's)."""
    rows = AgentProfile.objects.filter(pk=profile.pk, user_id=user_id).values_list(
        "user_id", "lcm_agent_id", "team_id", "campaign_groups"
    )
    now = next(iter(rows), None)  # at most one row (the primary key); no first()'s ORDER BY
    return now is not None and tuple(now) == _identity(profile)


class Resync(NamedTuple):
    """What the connect's trip to a worker thread found: the session row and its fragments,
    and when the login session ends; or why the socket cannot stay."""

    session: AgentSession | None = None
    html: str = ""
    access_ends: datetime | None = None
    access_ended: bool = False  # the login session ended since the handshake
    agent_gone: bool = False  # the agent was deleted since the handshake


class AgentConsumer(AccessCheckedConsumer):
    profile: AgentProfile | None = None
    counted = False  # this socket is in the agent's connection count
    _answered_action = ""  # the action whose fragments this tab's answer showed
    _shown_version = 0  # the session version of the fragments this page shows
    connection_id = ""  # this socket's id: frames pressed on another are not carried out
    _acting: asyncio.Future[None] | None = None  # the page's action running now
    _held_pushes: list[dict[str, Any]]  # pushes that came while it ran
    _late_lookups: asyncio.Future[None] | None = None  # showing what LCM answered late
    _handshake_kept_at = float("-inf")  # when the handshake's cache entry was last kept

    async def connect(self) -> None:
        if "agent_profile" in self.scope:
            self.profile = self.scope["agent_profile"]
        else:  # a stack without the handshake's profile lookup
            self.profile = await db_async(_profile_for)(self.scope.get("user"))
        if self.profile is None:
            await self.close(code=4403)
            return
        profile = self.profile
        self._held_pushes = []
        self.group = events.agent_group(profile.pk)
        await self.accept()
        slow_lookups: list[asyncio.Future[Any]] = []
        joined, _, (menu, groups) = await asyncio.gather(
            self.join_access_groups(),
            self.channel_layer.group_add(self.group, self.channel_name),
            page_lookups(profile, slow_lookups),
        )
        if not joined:
            return
        # Resync: whatever happened while this page was away, show the truth now. One trip
        # to a worker thread checks access once more now that the groups are joined, counts
        # the connection and renders it (a reconnect storm after a deploy is thousands of
        # these at once).
        found = await db_async(self._resync)(menu, groups)
        if found.access_ended:
            await self.end_access()
            return
        if found.agent_gone or found.session is None or found.access_ends is None:
            await self.close(code=4403)
            return
        self.expire_at(found.access_ends)
        self._shown_version = found.session.version
        presence.hold(profile.pk)
        self.counted = True
        self.connection_id = timeliness.new_connection_id()
        await self.send(text_data=found.html + timeliness.clock_mark(self.connection_id))
        await events.announce(events.AgentChanged.of_session(found.session, events.CONNECTION))
        if slow_lookups:
            self._late_lookups = asyncio.ensure_future(self._show_late_lookups(slow_lookups))

    async def _show_late_lookups(self, running: list[asyncio.Future[Any]]) -> None:
        """The page was first shown with "could not be loaded" for the outcomes or campaign
        groups LCM had not answered yet (the first connect of the day, thousands at once):
        once they arrive, the page is shown again with them (and the render cache keeps that,
        not the page with the error). An action meanwhile shows them with its answer."""
        assert self.profile is not None
        profile = self.profile
        await asyncio.wait(running)
        try:
            await self._show_again(profile, running)
        except Exception:  # the page keeps what it shows; its next action renders afresh
            log.exception("agent %s: the late outcomes and groups could not be shown", profile.pk)

    async def _show_again(self, profile: AgentProfile, running: list[asyncio.Future[Any]]) -> None:
        if any(task.cancelled() or task.exception() or task.result().error for task in running):
            return  # LCM failed: the page already says so
        if self.access_ended or self._disconnected or self._acting is not None:
            return
        # From the caches the lookups just filled.
        menu, groups = await asyncio.gather(outcome_menu(), group_choices(profile))
        session = await db_async(state.session_for)(profile)
        if session.version < self._shown_version or self._acting is not None:
            return  # a newer state was shown meanwhile; its render had the lookups
        session.agent = profile
        html = await db_async(render_live_stored)(session, menu, groups)
        if session.version < self._shown_version or self._acting is not None:
            return
        self._shown_version = session.version
        await self.send(text_data=html)

    async def _keep_handshake(self) -> None:
        """While the page is open, its handshake's cache entry is kept (every half of its
        lifetime, on a ping), so the reconnect after a restart hours later finds it."""
        seconds = float(settings.SOCKET_HANDSHAKE_CACHE_SECONDS)
        now = time.monotonic()
        if seconds <= 0 or now - self._handshake_kept_at < seconds / 2:
            return
        self._handshake_kept_at = now
        await handshake_cache.keep(self._session_key, self.access_ends)

    def _resync(self, menu: OutcomeMenu, groups: GroupChoices) -> Resync:
        """Sync, in a worker thread. The agent profile's part of the access check (`allowed`)
        is the connection count itself (it finds no row once the agent is deleted), unless the
        profile came from the handshake cache: then it is compared with the database's."""
        assert self.profile is not None
        ends = self.session_access()
        if self.scope.get(handshake_cache.FROM_CACHE):
            # The session, the user and the profile came from the cache: a change made where
            # no signal told it (a bulk update, another process) shows here, before anything
            # is sent or done with them.
            stale = ends is None or not _still_agent(self._user_id or 0, self.profile)
            if stale:
                handshake_cache.forget_stale(self._session_key, session_ended=ends is None)
                return Resync(access_ended=True)
        if ends is None:
            return Resync(access_ended=True)
        session = state.set_connections(self.profile, +1)
        if session is None:
            return Resync(agent_gone=True)
        if pending.pending_of(session) is not None:
            # A write left in flight by a worker that died (a restart): settled now, so the
            # page shows that LCM may have done it.
            settled = pending.settle_if_abandoned(self.profile)
            if settled is not None:
                session = settled[0]
        return Resync(session, render_live_stored(session, menu, groups), ends)

    async def disconnect(self, code: int) -> None:
        if self._late_lookups is not None:
            self._late_lookups.cancel()
        if self._acting is not None:
            # The action goes on to its end (its result saved and published) as before.
            with contextlib.suppress(Exception):
                await self._acting
        if self.profile is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        if not self.counted:
            return
        self.counted = False
        presence.release(self.profile.pk)
        session = await db_async(state.set_connections)(self.profile, -1)
        if session is not None:
            await events.announce(events.AgentChanged.of_session(session, events.CONNECTION))

    def allowed(self, user_id: int) -> bool:
        assert self.profile is not None  # only connected sockets are checked
        return _still_agent(user_id, self.profile)

    def groups_to_leave(self) -> tuple[str, ...]:
        return (self.group,) if self.profile is not None else ()

    async def bad_frame(self, message: str) -> None:
        """Only the banner: nothing else changed, and an unreadable frame must stay cheap."""
        await self.send(text_data=render_banner(message, "error"))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.profile is None or self.access_ended:
            return  # refused in connect, or the login ended: no more actions
        message, problem = frame_fields(text_data)
        if message is None:
            await self.bad_frame(problem)
            return
        action = message.pop("action", "")
        if action == timeliness.PING:  # the page checks that the connection is alive
            await self.send(text_data=timeliness.pong(message.get("ping", "")))
            await self._keep_handshake()
            return
        mark = answered(message.pop("request_id", ""))
        if self._acting is not None:
            with contextlib.suppress(Exception):  # one action at a time, in the order sent
                await self._acting
        # The action runs beside this socket's loop, so the page's pings are answered while
        # LCM takes its time (a slow answer is no dead connection); pushes wait for it.
        self._acting = asyncio.ensure_future(self._act(self.profile, action, message, mark))

    async def _act(
        self, profile: AgentProfile, action: str, message: dict[str, str], mark: str
    ) -> None:
        try:
            try:
                context = answer.context_for(profile, action_id=answer.new_action_id())
                handled = await inputs.run(
                    context, action, message, connection_id=self.connection_id
                )
                said = await answer.build(
                    handled.outcome, context, add_form=handled.add_form, with_state=True
                )
            except Exception:
                # The page waits for the mark: it must hear that this action failed.
                log.exception("agent %s: %s failed", profile.pk, action)
                failed = _("agentdesk could not handle that message.")
                await self.send(text_data=render_banner(failed, "error") + mark)
                return
            if said.version is not None:
                self._shown_version = max(self._shown_version, said.version)
            # The action's push to every tab of the agent arrives after this handler; this
            # tab has its fragments already and skips the push that names this action.
            self._answered_action = said.carries_push
            await self.send(text_data=said.html + mark)
        except Exception:  # the page is gone
            log.exception("agent %s: the answer to %s could not be sent", profile.pk, action)
        finally:
            self._acting = None
            held, self._held_pushes = self._held_pushes, []
            for event in held:  # in order, after this tab's own answer (see desk_push)
                await self.desk_push(event)

    async def desk_push(self, event: dict[str, Any]) -> None:
        if self._acting is not None:
            self._held_pushes.append(event)  # delivered after the action's own answer
            return
        version = event.get("version", self._shown_version)
        if version < self._shown_version:
            return  # older than what this page shows (pushes from two workers cross)
        if self._answered_action and event.get("action") == self._answered_action:
            return  # this tab's own action: its answer showed these fragments
        self._shown_version = version
        await self.send(text_data=event["html"])
