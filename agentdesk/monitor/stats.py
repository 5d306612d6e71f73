"""What a team lead sees: per-agent rows, per-queue figures and the live feed, from the
database (the action log and the agents' session rows)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from agentdesk.compliance.models import PreviewLimit
from agentdesk.desk import daycounts
from agentdesk.desk.contact import ContactOnScreen, contact_of
from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession, DayCount
from agentdesk.desk.onscreen import key_on_screen
from agentdesk.teams.models import Team

FETCH_KINDS = (ActionLog.NEXT, ActionLog.RESERVED)


def start_of_day(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in UTC; OverflowError for days at the calendar's very edges,
    whose bounds do not exist in UTC (9999-12-31 has no end, 0001-01-01 east of UTC no start)."""
    start = timezone.make_aware(datetime(day.year, day.month, day.day))
    end = start + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class AgentRow:
    profile: AgentProfile
    session: AgentSession
    fetched: int = 0
    skipped: int = 0
    skipped_by_outcome: list[tuple[str, int]] = field(default_factory=list)
    added: int = 0
    errors: int = 0
    preview_limit: PreviewLimit | None = None

    @property
    def preview_left(self) -> int | None:
        """Seconds until the agent runs over the preview limit (0: over); None: no limit."""
        if self.preview_limit is None or self.session.state != AgentSession.PREVIEWING:
            return None
        elapsed = (timezone.now() - self.session.state_since).total_seconds()
        return max(0, int(self.preview_limit.seconds - elapsed))

    @property
    def live(self) -> bool:
        seen_until = self.session.seen_until
        fresh = seen_until is not None and seen_until > timezone.now()
        return self.session.connections > 0 and fresh

    @cached_property
    def contact(self) -> ContactOnScreen | None:
        return contact_of(self.session)

    @property
    def contact_key(self) -> str:
        """The LCM key of the contact the agent holds, as the lead's Release names it."""
        return key_on_screen(self.session) or ""

    @property
    def masked_phone(self) -> str:
        number = self.contact.phone_number if self.contact else ""
        return f"···{number[-4:]}" if number else ""

    def fingerprint(self) -> tuple[Hashable, ...]:
        """Everything the row's fragment shows, as a key for its rendered HTML: equal
        fingerprints render equal rows (in one language). Fields added to the row count
        by themselves; the profile and session count by what the row shows of them."""
        session, profile = self.session, self.profile
        parts: list[Hashable] = [
            profile.pk,
            profile.display_name,
            profile.lcm_agent_id,
            session.version,
            session.state,
            session.state_since,
            session.connections,
            self.live,
            self.preview_left,
            repr(self.contact),
        ]
        for row_field in fields(self):
            if row_field.name not in ("profile", "session"):
                parts.append(repr(getattr(self, row_field.name)))
        return tuple(parts)


def team_entries(team: Team, since: datetime, until: datetime | None = None) -> QuerySet[Any]:
    entries = ActionLog.objects.filter(team=team, at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    return entries


FETCHED = Q(kind__in=FETCH_KINDS, ok=True) & ~Q(lcm_key="")
SKIPPED = Q(kind__in=ActionLog.CLOSING_KINDS, ok=True)
ADDED = Q(kind=ActionLog.ADD, ok=True)
FAILED = Q(ok=False)


def outcome_counts(entries: QuerySet[Any], key: str) -> dict[Any, list[tuple[str, int]]]:
    """{key value: [("8 No Answer", 3), …]} for the successful skips among `entries`."""
    counts: dict[Any, list[tuple[str, int]]] = defaultdict(list)
    rows = (
        entries.filter(SKIPPED)
        .values(key, "outcome_id", "outcome_name")
        .annotate(n=Count("pk"))
        .order_by(key, "-n", F("outcome_id").asc(nulls_last=True))
    )
    for row in rows:
        counts[row[key]].append((f"{row['outcome_id']} {row['outcome_name']}", row["n"]))
    return counts


def presence_rows(
    team: Team, only: set[int] | None = None, in_groups: Collection[str] | None = None
) -> list[AgentRow]:
    """Rows with each agent's session (state, contact, connection) but no counts yet; of the
    agents in `only`, or of those whose session works one of `in_groups`, when given."""
    found = AgentProfile.objects.filter(team=team).select_related("user")
    if only is not None:
        found = found.filter(pk__in=only)
    if in_groups is not None:
        found = found.filter(session__campaign_group__in=list(in_groups))
    profiles = list(found.order_by("user__username"))
    sessions = {s.agent_id: s for s in AgentSession.objects.filter(agent__in=profiles)}
    groups = {s.campaign_group for s in sessions.values() if s.state == AgentSession.PREVIEWING}
    limits = {
        limit.campaign_group: limit
        for limit in PreviewLimit.objects.filter(campaign_group__in=groups)
    }
    rows = []
    for profile in profiles:
        session = sessions.get(profile.pk) or AgentSession(agent=profile)
        rows.append(AgentRow(profile, session, preview_limit=limits.get(session.campaign_group)))
    return rows


def agent_rows(
    team: Team, now: datetime | None = None, only: set[int] | None = None, *, logged: bool = False
) -> list[AgentRow]:
    """One row per agent of the team (or of the agents in `only`), with today's counts: from
    the team's day counters (desk/daycounts.py), or counted in the log (`logged`, or while
    another time zone than the server's is active)."""
    now = now or timezone.now()
    rows = {row.profile.pk: row for row in presence_rows(team, only)}
    if logged or timezone.get_current_timezone_name() != daycounts.zone_name():
        counts, outcomes = _logged_agent_counts(team, now, only)
    else:
        counts, outcomes = _counted_agent_counts(team, now, only)
    for count in counts:
        row = rows.get(count["agent_id"])
        if row is not None:
            row.fetched, row.skipped = count["fetched"], count["skipped"]
            row.added, row.errors = count["added"], count["errors"]
    for agent_id, skips in outcomes.items():
        if agent_id in rows:
            rows[agent_id].skipped_by_outcome = skips
    return list(rows.values())


AgentCounts = tuple[Iterable[dict[str, Any]], dict[Any, list[tuple[str, int]]]]


def _logged_agent_counts(team: Team, now: datetime, only: set[int] | None) -> AgentCounts:
    today = team_entries(team, *day_bounds(timezone.localdate(now)))
    if only is not None:
        today = today.filter(agent_id__in=only)
    counts = today.values("agent_id").annotate(
        fetched=Count("pk", filter=FETCHED),
        skipped=Count("pk", filter=SKIPPED),
        added=Count("pk", filter=ADDED),
        errors=Count("pk", filter=FAILED),
    )
    return counts, outcome_counts(today, "agent_id")


def _counted_agent_counts(team: Team, now: datetime, only: set[int] | None) -> AgentCounts:
    today = daycounts.counted_days(team.pk, [timezone.localdate(now)])
    if only is not None:
        today = today.filter(agent_id__in=only)
    counts = today.values("agent_id").annotate(
        fetched=Sum("fetched"), skipped=Sum("skipped"), added=Sum("added"), errors=Sum("errors")
    )
    skips = today.filter(skipped__gt=0).values("agent_id", "outcome_id", "outcome_name")
    return counts, counted_outcomes(skips.annotate(n=Sum("skipped")), "agent_id")


def counted_outcomes(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, list[tuple[str, int]]]:
    """`outcome_counts` from day counter rows (`key`, outcome_id, outcome_name, n): in the
    same order, an entry without an outcome after those with one."""
    counts: dict[Any, list[tuple[str, int]]] = defaultdict(list)
    none = DayCount.NO_OUTCOME
    for row in sorted(
        rows, key=lambda row: (row[key], -row["n"], row["outcome_id"] == none, row["outcome_id"])
    ):
        outcome_id = None if row["outcome_id"] == none else row["outcome_id"]
        counts[row[key]].append((f"{outcome_id} {row['outcome_name']}", row["n"]))
    return counts


@dataclass
class QueueRow:
    name: str
    agents_now: list[str] = field(default_factory=list)
    served_today: int = 0
    served_last_hour: int = 0
    skips_by_outcome: list[tuple[str, int]] = field(default_factory=list)
    adds: int = 0
    open_contacts: int | None = None  # None: LCM cannot tell

    @property
    def dom_id(self) -> str:
        """The row's id on the page, stable for the queue's name (a push replaces that row)."""
        return "queue-" + hashlib.blake2s(self.name.encode(), digest_size=6).hexdigest()


def queue_rows(
    team: Team,
    rows: list[AgentRow],
    open_counts: dict[str, int | None] | None = None,
    now: datetime | None = None,
    only: Collection[str] | None = None,
) -> list[QueueRow]:
    """One row per campaign group the team works (from profiles, sessions and today's log);
    with `only`, just those groups' rows (then `rows` need hold only the agents working them:
    `presence_rows(team, in_groups=only)`)."""
    now = now or timezone.now()
    open_counts = open_counts or {}
    queues: dict[str, QueueRow] = {}
    for row in rows:
        for name in [*(row.profile.campaign_groups or []), row.session.campaign_group]:
            if name and (only is None or name in only):
                queues.setdefault(name, QueueRow(name))
    today = team_entries(team, start_of_day(now)).exclude(campaign_group="")
    if only is not None:
        queues.update({name: QueueRow(name) for name in only if name and name not in queues})
        today = today.filter(campaign_group__in=list(only))
    counts = today.values("campaign_group").annotate(
        served=Count("pk", filter=FETCHED),
        last_hour=Count("pk", filter=FETCHED & Q(at__gte=now - timedelta(hours=1))),
        adds=Count("pk", filter=ADDED),
    )
    for count in counts:
        queue = queues.setdefault(count["campaign_group"], QueueRow(count["campaign_group"]))
        queue.served_today, queue.served_last_hour = count["served"], count["last_hour"]
        queue.adds = count["adds"]
    skips = outcome_counts(today, "campaign_group")
    for name, queue in queues.items():
        queue.skips_by_outcome = skips.get(name, [])
        queue.open_contacts = open_counts.get(name)
        queue.agents_now = [
            row.profile.display_name
            for row in rows
            if row.session.campaign_group == name
            and (row.live or row.session.state == AgentSession.PREVIEWING)
        ]
    return sorted(queues.values(), key=lambda q: q.name)


def team_queue_names(team: Team, now: datetime | None = None) -> list[str]:
    """Every campaign group the team works or worked today."""
    now = now or timezone.now()
    names: set[str] = set()
    for groups in AgentProfile.objects.filter(team=team).values_list("campaign_groups", flat=True):
        names.update(groups or [])
    names.update(
        AgentSession.objects.filter(agent__team=team)
        .exclude(campaign_group="")
        .values_list("campaign_group", flat=True)
    )
    names.update(
        team_entries(team, start_of_day(now))
        .exclude(campaign_group="")
        .values_list("campaign_group", flat=True)
        .distinct()
    )
    return sorted(names)


def feed(team: Team, limit: int = 15) -> list[ActionLog]:
    return list(
        ActionLog.objects.filter(team=team)
        .select_related("agent__user")
        .order_by("-at", "-pk")[:limit]
    )
