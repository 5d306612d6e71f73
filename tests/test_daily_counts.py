"""The day's counters kept with each action (desk/daycounts.py) give the monitor's charts the
same figures as counting the day's log, whichever way an entry was written, across the day's
edges in the server's time zone (a quarter-hour offset, a day that is 23 hours long), and for
days begun before the counters were kept; and so do the agents' rows on the monitor. Marked `postgres`: the test command runs these
again on PostgreSQL (one statement per action there)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from agentdesk.desk import daycounts, state
from agentdesk.desk.models import ActionLog, AgentProfile, CountedDay, DayCount
from agentdesk.monitor import figures, stats
from agentdesk.teams.models import Team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SALES, SERVICE = "Sales Manual Group", "Service Manual Group"
DAY = date(2026, 3, 8)  # New York moves its clocks forward: a day of 23 hours
DAYS = [DAY + timedelta(days=n) for n in range(-8, 2)]  # the week before, the day, the next


def local(zone: str, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


def moments(zone: str) -> list[datetime]:
    """Times around and inside DAY, and on the days before it (the charts' baseline)."""
    start = local(zone, DAY, 0)
    found = [
        start - timedelta(minutes=1),  # the day before, last minute
        start,
        local(zone, DAY, 1, 59),
        local(zone, DAY, 3, 0),  # New York: the hour after the missing one
        local(zone, DAY, 9, 15),
        local(zone, DAY, 23, 59),
        local(zone, DAY + timedelta(days=1), 0),  # the next day
    ]
    found += [local(zone, DAY - timedelta(days=back), 9, 30) for back in range(1, 9)]
    return found


def a_mix_of_actions(zone: str, agents: dict[str, AgentProfile], *, through_writers: bool) -> None:
    """Every kind the charts count and some they do not, ok and failed, for three agents of
    two teams, at each of `moments`: written as the app writes them (the session's save
    with its log entry, or a log entry alone), or straight into the log (as before the
    counters were kept)."""
    kinds: list[tuple[str, dict[str, Any]]] = [
        (ActionLog.NEXT, {"lcm_key": "1|1|1"}),
        (ActionLog.NEXT, {"lcm_key": ""}),  # nothing to fetch
        (ActionLog.RESERVED, {"lcm_key": "1|1|2"}),
        (ActionLog.SKIP, {"outcome_id": 8, "outcome_name": "No Answer"}),
        (ActionLog.SKIP, {"outcome_id": 3, "outcome_name": "Busy", "campaign_group": SERVICE}),
        (ActionLog.SKIP, {"outcome_id": 3, "outcome_name": "Busy", "ok": False}),
        (ActionLog.HAND_BACK, {"outcome_id": 8, "outcome_name": "No Answer"}),
        (ActionLog.RELEASE, {"outcome_id": None, "outcome_name": "", "campaign_group": ""}),
        (ActionLog.ADD, {}),
        (ActionLog.CALLBACK, {}),  # a wrap-up step: in no chart, yet an entry of the day
        (ActionLog.NEXT, {"lcm_key": "1|1|3", "ok": False}),
    ]
    people = [agents["alice"], agents["bob"], agents["carol"]]
    for n, at in enumerate(moments(zone)):
        for m, (kind, fields) in enumerate(kinds):
            profile = people[(n + m) % len(people)]
            entry = {"at": at, "campaign_group": SALES, **fields}
            if not through_writers:
                ActionLog.objects.create(agent=profile, team=profile.team, kind=kind, **entry)
            elif (n + m) % 2:
                state.write_log(profile, kind, **entry)
            else:
                state.session_for(profile)
                session, token = state.acquire(profile)
                state.release_and_log(session, token, kind, entry, {"notice": kind})


def assert_counters_match_the_log() -> None:
    cache.clear()  # the baseline's days were over when it was kept; here they changed
    for team in Team.objects.all():
        for day in DAYS[7:9]:
            counted = figures.team_figures(team, day)
            logged = figures.logged_team_figures(team, day, day)
            assert counted == logged, (team.name, day)
            now = daycounts.day_bounds(day)[1] - timedelta(microseconds=1)
            counted_rows = stats.agent_rows(team, now=now)
            logged_rows = stats.agent_rows(team, now=now, logged=True)
            assert [row.fingerprint() for row in counted_rows] == [
                row.fingerprint() for row in logged_rows
            ], (team.name, day)
            assert any(row.skipped_by_outcome for row in counted_rows)
        for day in DAYS:
            since, until = daycounts.day_bounds(day)
            entries = ActionLog.objects.filter(team=team, at__gte=since, at__lt=until).count()
            rows = daycounts.counted_days(team.pk, [day])
            assert sum(row.logged for row in rows) == entries, (team.name, day)


@pytest.mark.parametrize("zone", ["Asia/Kathmandu", "America/New_York"])
def test_counters_kept_with_each_action_equal_the_recount(agents, settings, zone):
    settings.TIME_ZONE = zone
    for team in Team.objects.all():
        daycounts.counted_days(team.pk, DAYS)  # counted from here on: nothing logged yet
    assert not DayCount.objects.exists()
    a_mix_of_actions(zone, agents, through_writers=True)
    # Kept, not recounted: the days were marked counted before anything was logged.
    assert CountedDay.objects.count() == 2 * len(DAYS)
    blue = Team.objects.get(name="Blue")
    today = figures.team_figures(blue, DAY)
    assert sum(today.handled_by_hour) > 0 and today.outcome_mix and today.per_agent
    assert sum(today.baseline_by_hour) > 0
    assert_counters_match_the_log()


def test_a_day_begun_before_the_counters_is_counted_from_the_log_once(agents, settings):
    zone = settings.TIME_ZONE = "Asia/Kathmandu"
    a_mix_of_actions(zone, agents, through_writers=False)  # logged before counters were kept
    assert not DayCount.objects.exists()
    blue = Team.objects.get(name="Blue")
    first = figures.team_figures(blue, DAY)  # the first read counts the day from the log
    assert first == figures.logged_team_figures(blue, DAY, DAY)
    a_mix_of_actions(zone, agents, through_writers=True)  # then kept with each action
    assert_counters_match_the_log()
    assert figures.team_figures(blue, DAY) != first


def test_another_time_zone_starts_its_own_counters(agents, settings):
    settings.TIME_ZONE = "America/New_York"
    a_mix_of_actions("America/New_York", agents, through_writers=True)
    assert_counters_match_the_log()
    settings.TIME_ZONE = "Asia/Kathmandu"  # the same entries, other days and hours
    assert_counters_match_the_log()
    assert set(DayCount.objects.values_list("zone", flat=True)) == {
        "America/New_York",
        "Asia/Kathmandu",
    }


def test_an_entry_without_a_team_counts_for_no_team(agents):
    alice = agents["alice"]
    AgentProfile.objects.filter(pk=alice.pk).update(team=None)
    alice.refresh_from_db()
    state.write_log(alice, ActionLog.SKIP, outcome_id=8, outcome_name="No Answer")
    assert ActionLog.objects.count() == 1 and not DayCount.objects.exists()
