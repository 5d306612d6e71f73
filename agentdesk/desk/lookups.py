"""Reference data an agent picks from: outcomes and campaign groups, read from LCM and cached.

Two levels: this worker's memory (read on every action, render and connect, so it must cost
a dictionary lookup, not a Redis round trip and a thread hop) for up to LOCAL_CACHE_SECONDS,
and the shared cache (Redis in scaled mode), so a worker that starts fresh after a deploy
reads LCM's answers from there instead of asking LCM again for every agent.

Invalidation: an agent's entry is keyed by the groups their profile allows, so editing the
profile takes effect at once on every worker; saving a profile also drops the agent's
entries here and in the shared cache (see `forget_agent`); LCM-side changes (assignments,
outcomes) are picked up when the entries expire.

The campaign-group directory: LCM answers `GetCampaignGroups` for one agent with each of
their groups and every member of it (5,000 members: 194 KB). So one agent's answer tells
this worker who else is in those groups; the worker keeps each group's campaigns and members
(`_directory`, GROUPS_CACHE_SECONDS) and answers the other agents of those groups from it,
without asking LCM again: the first connect of the day asks LCM once per group and worker,
not once per agent (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import weakref
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from cachetools import TTLCache
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError

from .models import AgentProfile


def _cache_key(*parts: str) -> str:
    """A cache key safe for any backend, whatever the names contain."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"desk:{parts[0]}:{digest}"


OUTCOMES_CACHE_SECONDS = 300
GROUPS_CACHE_SECONDS = 600  # assignments change rarely; LCM lists every agent of a group
LOCAL_CACHE_SECONDS = 60  # how long a worker may serve its own copy without asking the cache

_local: TTLCache[Any, Any] = TTLCache(maxsize=50_000, ttl=LOCAL_CACHE_SECONDS)
_local_lock = threading.Lock()  # tests and management commands use several event loops


def _local_get(key: str) -> Any:
    with _local_lock:
        return _local.get(key)


def _local_set(key: str, value: Any) -> None:
    with _local_lock:
        _local[key] = value


async def _cached(key: str) -> Any:
    """The value from this worker's memory, else from the shared cache (kept in memory)."""
    value = _local_get(key)
    if value is None:
        value = await cache.aget(key)
        if value is not None:
            _local_set(key, value)
    return value


async def _remember(key: str, value: Any, seconds: int) -> None:
    _local_set(key, value)
    await cache.aset(key, value, seconds)


def _groups_key(profile: AgentProfile) -> str:
    return _cache_key(
        "groups", settings.LCM_URL, profile.lcm_agent_id, *sorted(profile.campaign_groups or [])
    )


def keep_in_memory(profile: AgentProfile) -> None:
    """Sync, from a worker thread that is reading the database anyway: copy the agent's
    reference data from the shared cache into this worker's memory if it is not there yet,
    so `group_choices` and `outcome_menu` answer without a trip of their own (after a deploy
    every page's connect would otherwise make one more)."""
    for key in (_cache_key("outcomes", settings.LCM_URL), _groups_key(profile)):
        if _local_get(key) is None:
            value = cache.get(key)
            if value is not None:
                _local_set(key, value)


def forget_agent(profile: AgentProfile) -> None:
    """Drop an agent's cached campaign groups, in this worker and in the shared cache (an
    entry under the profile's previous groups is never read again: its key differs), and this
    worker's directory entries of the profile's groups: an administrator who changed an
    assignment in LCM and then saves the profile sees it at once."""
    key = _groups_key(profile)
    with _local_lock:
        _local.pop(key, None)
        for name in profile.campaign_groups or []:
            _directory.pop(name, None)
    cache.delete(key)


def forget_all() -> None:
    """Drop this worker's copies (the shared cache is cleared with `cache.clear()`)."""
    with _local_lock:
        _local.clear()
        _directory.clear()


@dataclass(frozen=True)
class _Listed:
    """A campaign group as LCM last listed it: without members (what agents are shown), who
    its members are, and where LCM listed it among an agent's groups (their order)."""

    group: m.CampaignGroup
    members: frozenset[str]
    position: int


_directory: TTLCache[Any, Any] = TTLCache(maxsize=10_000, ttl=GROUPS_CACHE_SECONDS)
# One GetCampaignGroups at a time per set of groups a profile allows, per event loop: the
# agents connecting meanwhile wait for it and are then answered from the directory.
_flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future[Any]]]
_flights = weakref.WeakKeyDictionary()


def _list_groups(answer: m.CampaignGroupsAnswer) -> None:
    with _local_lock:
        for position, group in enumerate(answer.groups):
            members = frozenset(agent_id for agent_id, _name in group.agents)
            _directory[group.name] = _Listed(replace(group, agents=()), members, position)


def _from_directory(agent_id: str, allowed: set[str]) -> tuple[m.CampaignGroup, ...] | None:
    """The agent's groups among `allowed`, when this worker's directory lists every allowed
    group (LCM lists a group's members completely, so a group that does not list the agent is
    not theirs); None when it cannot tell. No group at all is not trusted either (the agent
    may have been assigned since): LCM is asked."""
    with _local_lock:
        listed = [_directory.get(name) for name in allowed]
    if not allowed or any(entry is None for entry in listed):
        return None
    theirs = sorted(
        (entry for entry in listed if entry is not None and agent_id in entry.members),
        key=lambda entry: (entry.position, entry.group.name),
    )
    return tuple(entry.group for entry in theirs) or None


@dataclass(frozen=True)
class OutcomeMenu:
    telephony: tuple[m.Outcome, ...] = ()
    business: tuple[tuple[m.Outcome, tuple[m.Outcome, ...]], ...] = ()
    error: str = ""

    @cached_property  # a frozen menu: built once (every Skip and card render looks up ids)
    def ids(self) -> dict[int, m.Outcome]:
        found = {o.id: o for o in self.telephony}
        for parent, children in self.business:
            found[parent.id] = parent
            found.update({child.id: child for child in children})
        return found

    def find(self, outcome_id: object) -> m.Outcome | None:
        """The outcome with this id (as a form or socket sends it), if the menu has it."""
        try:
            return self.ids.get(int(outcome_id))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None


def _group_business(outcomes: tuple[m.Outcome, ...]) -> tuple[Any, ...]:
    ids = {o.id for o in outcomes}
    parents = [o for o in outcomes if o.parent_id is None or o.parent_id not in ids]
    return tuple(
        (parent, tuple(o for o in outcomes if o.parent_id == parent.id)) for parent in parents
    )


# One outcome-menu read from LCM at a time per event loop: the pages connecting meanwhile (the
# first connect of the day, a hundred at once) wait for it instead of each asking LCM twice.
_menu_flights: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[OutcomeMenu]]
_menu_flights = weakref.WeakKeyDictionary()


async def outcome_menu() -> OutcomeMenu:
    """Telephony outcomes and MANUAL business outcomes (by parent), cached for a few minutes."""
    key = _cache_key("outcomes", settings.LCM_URL)
    cached = await _cached(key)
    if cached is not None:
        return cached
    loop = asyncio.get_running_loop()
    flight = _menu_flights.get(loop)
    if flight is None or flight.done():
        flight = _menu_flights[loop] = loop.create_task(_read_outcome_menu(key))
    # Shielded: a caller that stops waiting does not stop the read the others wait for.
    return await asyncio.shield(flight)


async def _read_outcome_menu(key: str) -> OutcomeMenu:
    client = get_client()
    try:
        telephony = (await client.call(m.GetCallOutCome())).answer.outcomes
        business = (await client.call(m.GetOutcomeByOutcomegroup("MANUAL"))).answer.outcomes
    except LcmError as exc:
        return OutcomeMenu(
            error=_("Outcomes could not be loaded. %(reason)s") % {"reason": exc.describe()}
        )
    menu = OutcomeMenu(tuple(telephony), _group_business(tuple(business)))
    await _remember(key, menu, OUTCOMES_CACHE_SECONDS)
    return menu


@dataclass(frozen=True)
class GroupChoices:
    groups: tuple[m.CampaignGroup, ...] = ()
    error: str = ""
    reason: str = ""  # why LCM's answer is missing, when it is

    @property
    def campaigns_error(self) -> str:
        """What the Add contact form says when the campaigns could not be loaded."""
        if not self.error:
            return ""
        return _(
            "The campaigns could not be loaded, so no contact can be added now. %(reason)s "
            "Pressing “Add contact” asks LCM again."
        ) % {"reason": self.reason}

    @property
    def names(self) -> list[str]:
        return [group.name for group in self.groups]

    @property
    def campaigns(self) -> list[str]:
        return sorted({c.id for group in self.groups for c in group.campaigns})

    def group_of(self, campaign: str) -> str:
        """The campaign group a campaign belongs to, when LCM told us."""
        for group in self.groups:
            if any(c.id == campaign for c in group.campaigns):
                return group.name
        return ""


async def group_choices(profile: AgentProfile) -> GroupChoices:
    """The campaign groups this agent may work: LCM's assignment, narrowed by the profile."""
    key = _groups_key(profile)
    cached = await _cached(key)
    if cached is not None:
        return cached
    allowed = set(profile.campaign_groups or [])
    if (known := await _listed_groups(profile.lcm_agent_id, allowed)) is not None:
        choices = GroupChoices(tuple(g for g in known if g.is_active))
        await _remember(key, choices, GROUPS_CACHE_SECONDS)
        return choices
    try:
        answer = await _ask_lcm(profile.lcm_agent_id, allowed)
    except LcmError as exc:
        fallback = tuple(m.CampaignGroup(name) for name in sorted(allowed))
        reason = exc.describe()
        return GroupChoices(
            fallback,
            _("Campaign groups could not be loaded. %(reason)s") % {"reason": reason},
            reason,
        )
    # Without the group's members: agentdesk never shows them, and LCM lists every agent of
    # a group, so each agent's entry would grow with the group (after a deploy, thousands of
    # agents each reading thousands of members back from the shared cache).
    groups = tuple(
        replace(g, agents=())
        for g in answer.groups
        if g.is_active and (not allowed or g.name in allowed)
    )
    choices = GroupChoices(groups)
    await _remember(key, choices, GROUPS_CACHE_SECONDS)
    return choices


async def _listed_groups(agent_id: str, allowed: set[str]) -> tuple[m.CampaignGroup, ...] | None:
    """The agent's groups from the directory, after waiting for a GetCampaignGroups already
    under way for the same groups (it fills the directory); None: ask LCM."""
    if (known := _from_directory(agent_id, allowed)) is not None:
        return known
    flight = _flights.get(asyncio.get_running_loop(), {}).get(_flight_key(allowed))
    if flight is None:
        return None
    await asyncio.wait({flight})  # its failure is its own caller's to report
    return _from_directory(agent_id, allowed)


def _flight_key(allowed: set[str]) -> str:
    return "\x1f".join(sorted(allowed))


async def _ask_lcm(agent_id: str, allowed: set[str]) -> m.CampaignGroupsAnswer:
    """GetCampaignGroups for the agent; its groups (with their members) go into the
    directory, and agents allowed the same groups wait for this call instead of asking too."""
    flights = _flights.setdefault(asyncio.get_running_loop(), {})
    flight_key = _flight_key(allowed)
    mine = asyncio.get_running_loop().create_future()
    if allowed and flight_key not in flights:
        flights[flight_key] = mine
    try:
        answer = (await get_client().call(m.GetCampaignGroups(agent_id))).answer
        _list_groups(answer)
        return answer
    finally:
        if flights.get(flight_key) is mine:
            del flights[flight_key]
        mine.set_result(None)


# A page (and its socket's resync) waits at most this long for the reference data: an LCM
# that does not answer must not hold up logging in for a timeout per call (three calls of
# LCM_TIMEOUT_SECONDS each). The lookups go on in the background and fill the caches, so the
# next render has them.
PAGE_WAIT_SECONDS = 1.0
_background: set[asyncio.Future[Any]] = set()


def _keep_running(task: asyncio.Future[Any]) -> None:
    _background.add(task)

    def done(finished: asyncio.Future[Any]) -> None:
        _background.discard(finished)
        if not finished.cancelled():
            finished.exception()  # retrieved: a failure is already in the answer or the log

    task.add_done_callback(done)


async def page_lookups(
    profile: AgentProfile, still_running: list[asyncio.Future[Any]] | None = None
) -> tuple[OutcomeMenu, GroupChoices]:
    """The outcome menu and the agent's campaign groups, asked for together, each waited for at
    most PAGE_WAIT_SECONDS; one that takes longer is answered with an error saying so (and
    added to `still_running`, so a caller that can show the page again may wait for it)."""
    menu_task = asyncio.ensure_future(outcome_menu())
    groups_task = asyncio.ensure_future(group_choices(profile))
    await asyncio.wait({menu_task, groups_task}, timeout=PAGE_WAIT_SECONDS)
    reason = _("LCM did not answer within %(seconds)s s.") % {"seconds": PAGE_WAIT_SECONDS}
    running = still_running if still_running is not None else []
    if menu_task.done():
        menu = menu_task.result()
    else:
        _keep_running(menu_task)
        running.append(menu_task)
        menu = OutcomeMenu(error=_("Outcomes could not be loaded. %(reason)s") % {"reason": reason})
    if groups_task.done():
        groups = groups_task.result()
    else:
        _keep_running(groups_task)
        running.append(groups_task)
        allowed = sorted(profile.campaign_groups or [])
        groups = GroupChoices(
            tuple(m.CampaignGroup(name) for name in allowed),
            _("Campaign groups could not be loaded. %(reason)s") % {"reason": reason},
            reason,
        )
    return menu, groups


QUEUE_DEPTH_CACHE_SECONDS = 3
QUEUE_DEPTH_TIMEOUT_SECONDS = 1.0


async def _queue_depth(name: str) -> int | None:
    key = _cache_key("queue-depth", settings.LCM_URL, name)
    cached = await cache.aget(key, default="missing")
    if cached != "missing":
        return cached
    try:
        exchange = await asyncio.wait_for(
            get_client().call(m.GetCampaignGroupContactCount(name)), QUEUE_DEPTH_TIMEOUT_SECONDS
        )
        depth = exchange.answer.open_contacts
    except (LcmError, TimeoutError):
        depth = None
    await cache.aset(key, depth, QUEUE_DEPTH_CACHE_SECONDS)
    return depth


async def queue_depths(names: list[str]) -> dict[str, int | None]:
    """Open contacts waiting per campaign group; None where LCM cannot tell (no such call, slow,
    or unreachable). Bounded and cached briefly, so a monitor never waits on LCM for long."""
    depths = await asyncio.gather(*(_queue_depth(name) for name in names))
    return dict(zip(names, depths, strict=True))
