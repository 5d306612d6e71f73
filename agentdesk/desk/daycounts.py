"""The day's counters: what each agent of a team fetched, skipped (per outcome), added and
failed, per hour of the day and campaign group, kept in DayCount rows as each action is
logged, in the same transaction as its log entry. The monitor's charts read a team's few
counter rows instead of counting the day's log on every redraw.

A day is a day in the server's time zone (TIME_ZONE); the rows name that zone, so changing
it starts new counters instead of mixing two zones' days. A team's day is counted from the
log once, the first time its counters are read (`counted_days`): then the counters hold the
whole day, including what was logged before they were kept.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from .models import DAY_COUNT_KEY, ActionLog, CountedDay, DayCount

FETCH_KINDS = (ActionLog.NEXT, ActionLog.RESERVED)
FETCHED = Q(kind__in=FETCH_KINDS, ok=True) & ~Q(lcm_key="")
SKIPPED = Q(kind__in=ActionLog.CLOSING_KINDS, ok=True)
ADDED = Q(kind=ActionLog.ADD, ok=True)
FAILED = Q(ok=False)

KEY_FIELDS = DAY_COUNT_KEY
COUNT_FIELDS = ("logged", "fetched", "skipped", "added", "errors")


def zone_name() -> str:
    return str(settings.TIME_ZONE)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in UTC, in the server's zone."""
    zone = timezone.get_default_timezone()
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class Increment:
    """One log entry's addition to its counter row."""

    key: dict[str, Any]  # the row's key, by field name (team and agent as ids)
    counts: dict[str, int]  # by COUNT_FIELDS


def increment_of(entry: ActionLog) -> Increment | None:
    """What `entry` adds to its team's counters; None without a team (no team's figures)."""
    if entry.team_id is None:
        return None
    fetched = entry.kind in FETCH_KINDS and entry.ok and entry.lcm_key != ""
    skipped = entry.kind in ActionLog.CLOSING_KINDS and entry.ok
    counts = {
        "logged": 1,
        "fetched": int(fetched),
        "skipped": int(skipped),
        "added": int(entry.kind == ActionLog.ADD and entry.ok),
        "errors": int(not entry.ok),
    }
    local = timezone.localtime(entry.at, timezone.get_default_timezone())
    key = {
        "team": entry.team_id,
        "zone": zone_name(),
        "day": local.date(),
        "agent": entry.agent_id,
        "hour": local.hour,
        "campaign_group": entry.campaign_group,
        # Outcomes only for closed contacts: the charts show the skips by outcome.
        "outcome_id": _outcome_id(entry.outcome_id) if skipped else DayCount.NO_OUTCOME,
        "outcome_name": entry.outcome_name if skipped else "",
    }
    return Increment(key, counts)


def _outcome_id(value: int | None) -> int:
    return DayCount.NO_OUTCOME if value is None else value


def upsert_sql(increment: Increment, where: str = "true") -> tuple[str, list[Any]]:
    """The one statement that adds `increment` to its row (made if missing): an
    `INSERT … SELECT … WHERE {where} ON CONFLICT DO UPDATE` (PostgreSQL and SQLite), to run
    alone or as a part of a larger statement (`where` then names its condition: the caller's
    SQL constant, never a value)."""
    meta = DayCount._meta
    quote = connection.ops.quote_name
    by_name = {field.name: field for field in meta.concrete_fields}
    fields = [by_name[name] for name in (*KEY_FIELDS, *COUNT_FIELDS)]
    values = {**increment.key, **increment.counts}
    columns = ", ".join(quote(field.column) for field in fields)
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    placeholders = ", ".join(["%s"] * len(fields))
    table = quote(meta.db_table)
    unique = ", ".join(quote(by_name[name].column) for name in KEY_FIELDS)
    added = ", ".join(
        f"{quote(name)} = {table}.{quote(name)} + excluded.{quote(name)}" for name in COUNT_FIELDS
    )
    # Identifiers come from the model, `where` from the caller's constants; values are
    # parameters. (SQLite needs the WHERE to read the ON CONFLICT as the upsert's.)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {placeholders} WHERE {where} "
        f"ON CONFLICT ({unique}) DO UPDATE SET {added}"
    )
    return sql, params


def upsert_sql_of(entry: ActionLog, where: str = "true") -> tuple[str, list[Any]]:
    """`upsert_sql` for `entry`, or a statement that does nothing when it counts for none."""
    increment = increment_of(entry)
    if increment is None:
        return "SELECT 1 WHERE false", []
    return upsert_sql(increment, where)


def count(entry: ActionLog) -> None:
    """Add `entry` to its team's counters (one statement; call it in the transaction that
    writes the entry)."""
    increment = increment_of(entry)
    if increment is None:
        return
    sql, params = upsert_sql(increment)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --------------------------------------------------------------------------- reading a day


def counted_days(team_id: int, days: Collection[date]) -> QuerySet[DayCount]:
    """The team's counter rows of `days`, after counting from the log each day whose
    counters were not kept all day."""
    zone = zone_name()
    done = set(
        CountedDay.objects.filter(team_id=team_id, zone=zone, day__in=list(days)).values_list(
            "day", flat=True
        )
    )
    for day in sorted(set(days) - done):
        recount(team_id, day)
    return DayCount.objects.filter(team_id=team_id, zone=zone, day__in=list(days))


def recount(team_id: int, day: date) -> None:
    """Count the team's day from the log into its counters, replacing them, and mark it
    counted. While it counts no action can add to the counters (they wait for the lock),
    so an entry is in the recount or in a later increment, never in both or neither."""
    zone = zone_name()
    with transaction.atomic():
        _hold_counters()
        DayCount.objects.filter(team_id=team_id, zone=zone, day=day).delete()
        DayCount.objects.bulk_create(_counted_from_log(team_id, day))
        CountedDay.objects.get_or_create(team_id=team_id, zone=zone, day=day)


def _hold_counters() -> None:
    """Keep every other writer of counters waiting until this transaction ends. SQLite lets one
    writer at a time anyway (the delete that follows takes its lock)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(DayCount._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def _counted_from_log(team_id: int, day: date) -> list[DayCount]:
    since, until = day_bounds(day)
    rows = (
        ActionLog.objects.filter(team_id=team_id, at__gte=since, at__lt=until)
        .annotate(hour=ExtractHour("at", tzinfo=timezone.get_default_timezone()))
        .values("agent_id", "hour", "campaign_group", "outcome_id", "outcome_name")
        .annotate(
            logged=Count("pk"),
            fetched=Count("pk", filter=FETCHED),
            skipped=Count("pk", filter=SKIPPED),
            added=Count("pk", filter=ADDED),
            errors=Count("pk", filter=FAILED),
        )
        .order_by()
    )
    counters: dict[tuple[Any, ...], DayCount] = {}

    def add(
        row: dict[str, Any], outcome_id: int, outcome_name: str, counts: dict[str, int]
    ) -> None:
        if not any(counts.values()):
            return
        key = (row["agent_id"], row["hour"], row["campaign_group"], outcome_id, outcome_name)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = DayCount(
                team_id=team_id,
                zone=zone_name(),
                day=day,
                agent_id=row["agent_id"],
                hour=row["hour"],
                campaign_group=row["campaign_group"],
                outcome_id=outcome_id,
                outcome_name=outcome_name,
            )
        for name, n in counts.items():
            setattr(counter, name, getattr(counter, name) + n)

    for row in rows:
        # As `increment_of` keys them: the skips under their outcome, the rest under none.
        skips = {"logged": row["skipped"], "skipped": row["skipped"]}
        add(row, _outcome_id(row["outcome_id"]), row["outcome_name"], skips)
        rest = {name: row[name] for name in ("fetched", "added", "errors")}
        rest["logged"] = row["logged"] - row["skipped"]
        add(row, DayCount.NO_OUTCOME, "", rest)
    return list(counters.values())
