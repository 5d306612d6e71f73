"""What a team lead sees: per-agent rows, per-queue figures and the live feed, from the
database (the action log and the agents' session rows)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession, Team

FETCH_KINDS = (ActionLog.NEXT, ActionLog.RESERVED)


def start_of_day(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def day_bounds(day) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime(day.year, day.month, day.day))
    return start, start + timedelta(days=1)


def _is_fetch_with_contact(entry: ActionLog) -> bool:
    return entry.kind in FETCH_KINDS and entry.ok and bool(entry.lcm_key)


@dataclass
class AgentRow:
    profile: AgentProfile
    session: AgentSession
    fetched: int = 0
    skipped: int = 0
    skipped_by_outcome: list[tuple[str, int]] = field(default_factory=list)
    added: int = 0
    errors: int = 0

    @property
    def live(self) -> bool:
        return self.session.connections > 0

    @property
    def contact(self) -> dict:
        return self.session.contact or {}

    @property
    def masked_phone(self) -> str:
        number = str(self.contact.get("PhoneNumber", ""))
        return f"···{number[-4:]}" if number else ""


def team_entries(team: Team, since: datetime, until: datetime | None = None) -> QuerySet:
    entries = ActionLog.objects.filter(team=team, at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    return entries


def agent_rows(team: Team, now: datetime | None = None) -> list[AgentRow]:
    now = now or timezone.now()
    profiles = list(
        AgentProfile.objects.filter(team=team).select_related("user").order_by("user__username")
    )
    sessions = {s.agent_id: s for s in AgentSession.objects.filter(agent__in=profiles)}
    rows = {}
    for profile in profiles:
        session = sessions.get(profile.pk) or AgentSession(agent=profile)
        rows[profile.pk] = AgentRow(profile, session)
    outcomes: dict[int, Counter] = defaultdict(Counter)
    for entry in team_entries(team, start_of_day(now)).only(
        "agent_id", "kind", "ok", "lcm_key", "outcome_id", "outcome_name"
    ):
        row = rows.get(entry.agent_id)
        if row is None:
            continue
        if not entry.ok:
            row.errors += 1
        elif _is_fetch_with_contact(entry):
            row.fetched += 1
        elif entry.kind == ActionLog.SKIP:
            row.skipped += 1
            outcomes[entry.agent_id][f"{entry.outcome_id} {entry.outcome_name}"] += 1
        elif entry.kind == ActionLog.ADD:
            row.added += 1
    for agent_id, counter in outcomes.items():
        rows[agent_id].skipped_by_outcome = counter.most_common()
    return list(rows.values())


@dataclass
class QueueRow:
    name: str
    agents_now: list[str] = field(default_factory=list)
    served_today: int = 0
    served_last_hour: int = 0
    skips_by_outcome: list[tuple[str, int]] = field(default_factory=list)
    adds: int = 0
    open_contacts: int | None = None  # None: LCM cannot tell


def queue_rows(
    team: Team,
    rows: list[AgentRow],
    open_counts: dict[str, int | None] | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """One row per campaign group the team works (from profiles and today's log)."""
    now = now or timezone.now()
    open_counts = open_counts or {}
    names: set[str] = set()
    for row in rows:
        names.update(row.profile.campaign_groups or [])
        if row.session.campaign_group:
            names.add(row.session.campaign_group)
    queues: dict[str, QueueRow] = {}
    skips: dict[str, Counter] = defaultdict(Counter)
    hour_ago = now - timedelta(hours=1)
    for entry in (
        team_entries(team, start_of_day(now))
        .exclude(campaign_group="")
        .only("campaign_group", "kind", "ok", "lcm_key", "at", "outcome_id", "outcome_name")
    ):
        names.add(entry.campaign_group)
        queue = queues.setdefault(entry.campaign_group, QueueRow(entry.campaign_group))
        if _is_fetch_with_contact(entry):
            queue.served_today += 1
            if entry.at >= hour_ago:
                queue.served_last_hour += 1
        elif entry.ok and entry.kind == ActionLog.SKIP:
            skips[entry.campaign_group][f"{entry.outcome_id} {entry.outcome_name}"] += 1
        elif entry.ok and entry.kind == ActionLog.ADD:
            queue.adds += 1
    for name in names:
        queue = queues.setdefault(name, QueueRow(name))
        queue.skips_by_outcome = skips[name].most_common()
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


def teams_for(user) -> QuerySet:
    """The teams a user may monitor: the ones they lead (every team for superusers)."""
    if user.is_superuser:
        return Team.objects.order_by("name")
    return Team.objects.filter(leads=user).order_by("name")
