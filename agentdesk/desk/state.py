"""The agent's session row: taking the one-action-at-a-time lock and applying a result.

Plain synchronous ORM functions; desk.actions calls them from async code through db_async.
Taking the lock, giving it back with the result and counting connections are each one
`UPDATE … RETURNING` (one round trip that also reads the row as stored).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone

from agentdesk.retiredkeys.models import RetiredKey, is_retired

from . import daycounts
from .contact import contact_of
from .models import ActionLog, AgentProfile, AgentSession, fit_to_fields
from .returning import from_row, insert_sql, returning_columns, update_returning, update_sql


class Busy(Exception):
    """Another action of this agent is still running."""


def session_for(profile: AgentProfile) -> AgentSession:
    session, _ = AgentSession.objects.get_or_create(
        agent=profile,
        defaults={"campaign_group": (profile.campaign_groups or [""])[0]},
    )
    return session


def start_idle_clock_at_login(user_id: int) -> int:
    """At login: an idle agent with no page open starts being idle now, not when the session
    row was made (seeding, or the last shift). An agent with a page open elsewhere keeps the
    time. Returns how many sessions changed (0 or 1)."""
    now = timezone.now()
    away = Q(connections__lte=0) | Q(seen_until__lt=now)
    return AgentSession.objects.filter(
        away, agent__user_id=user_id, state=AgentSession.IDLE, busy_token=""
    ).update(state_since=now, version=F("version") + 1)


def acquire(profile: AgentProfile) -> tuple[AgentSession, str]:
    """Take the agent's action lock (a compare-and-set on the session row) or raise Busy;
    the session as stored, read in the same statement.

    The lock expires by itself, so a worker that died mid-action cannot wedge the agent.
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    hold_for = timedelta(seconds=settings.LCM_TIMEOUT_SECONDS * 2 + 5)
    for _ in range(2):
        session = update_returning(
            AgentSession,
            "agent_id = %s AND (busy_token = '' OR busy_until < %s)",
            [profile.pk, _moment(now)],
            {"busy_token": token, "busy_until": now + hold_for},
        )
        if session is not None:
            session.agent = profile
            return session, token
        _, created = AgentSession.objects.get_or_create(
            agent=profile, defaults={"campaign_group": (profile.campaign_groups or [""])[0]}
        )
        if not created:
            break
    raise Busy


def pending_skip(session: AgentSession) -> dict[str, Any] | None:
    """The agent's earlier skip of the contact on screen whose outcome LCM did not confirm."""
    earlier = (session.unconfirmed or {}).get("skip")
    contact = contact_of(session)
    if earlier and contact is not None and earlier.get("lcm_key") == contact.account_number:
        return earlier
    return None


def release(session: AgentSession, token: str, **changes: Any) -> AgentSession | None:
    """Apply `changes` and free the lock, if this action still holds it; None if it lost it.
    The session as now stored (its `agent` is the caller's profile object)."""
    updated = update_returning(AgentSession, *_release_update(session, token, changes))
    if updated is not None:
        updated.agent = session.agent
    return updated


def _release_update(
    session: AgentSession, token: str, changes: dict[str, Any]
) -> tuple[str, list[Any], dict[str, Any], dict[str, tuple[str, list[Any]]]]:
    """The session row's UPDATE for `release`: where, its parameters, values, expressions."""
    now = timezone.now()
    if "state" in changes and changes["state"] != session.state:
        changes["state_since"] = now
    expressions: dict[str, tuple[str, list[Any]]] = {"version": ("version + 1", [])}
    if "contact" in changes:
        # A contact put on (or taken off) the screen: what pages showing an older version
        # act on is another contact (desk/onscreen.py).
        expressions["contact_version"] = ("version + 1", [])
    values = {
        "busy_token": "",
        "busy_until": None,
        "updated_at": now,
        **fit_to_fields(AgentSession, changes),
    }
    return "id = %s AND busy_token = %s", [session.pk, token], values, expressions


class Saved(NamedTuple):
    """What `release_and_log` saved: the session as now stored (None when this action had
    lost the lock), the log entry written, and the agent's recent log with it (newest first,
    for the render)."""

    session: AgentSession | None
    entry: ActionLog
    recent: list[ActionLog]


RECENT_ACTIONS = 8  # entries of the agent's recent log on the page


def release_and_log(
    session: AgentSession,
    token: str,
    kind: str,
    entry: dict[str, Any],
    changes: dict[str, Any],
    unless_retired: str = "",
) -> Saved | None:
    """`release` and `write_log` together, in one transaction, and the agent's recent log read
    back; None, with nothing done, when `unless_retired` is a retired LCM key. On PostgreSQL
    one statement (one round trip instead of six: the key's check, BEGIN, the session's
    UPDATE, the log's INSERT, COMMIT, the recent log); elsewhere the same statements one by
    one."""
    profile = session.agent
    if connection.vendor != "postgresql":
        if unless_retired and is_retired(unless_retired):
            return None
        with transaction.atomic():
            updated = release(session, token, **changes)
            written = write_log(profile, kind, **entry)
        return Saved(updated, written, recent_actions(profile))
    where, where_params, values, expressions = _release_update(session, token, changes)
    update, update_params = update_sql(
        AgentSession,
        # `where` is built from column names by _release_update; every value is a parameter.
        f"({where}) AND NOT (SELECT yes FROM retired)",  # noqa: S608
        where_params,
        values,
        expressions,
    )
    logged = ActionLog(
        agent=profile, team_id=profile.team_id, kind=kind, **fit_to_fields(ActionLog, entry)
    )
    insert, insert_params = insert_sql(logged, where="NOT (SELECT yes FROM retired)")
    counted, counted_params = daycounts.upsert_sql_of(logged, where="NOT (SELECT yes FROM retired)")
    quote = connection.ops.quote_name
    keys = quote(RetiredKey._meta.db_table)
    log_table, log_columns = quote(ActionLog._meta.db_table), returning_columns(ActionLog)
    agent, at, pk = (quote(_column(ActionLog, name)) for name in ("agent", "at", "id"))
    # One statement: its parts see one snapshot and commit together, or not at all. The
    # recent log is read in that snapshot, so without the entry written: it is added below.
    # Identifiers come from the models, SQL from constants here; values are parameters.
    sql = (
        f"WITH retired AS (SELECT EXISTS (SELECT 1 FROM {keys} WHERE lcm_key = %s) AS yes), "  # noqa: S608
        f"saved AS ({update} RETURNING {returning_columns(AgentSession)}), "
        f"logged AS ({insert} RETURNING {log_columns}), "
        f"counted AS ({counted}), "
        f"recent AS (SELECT {log_columns} FROM {log_table} "
        f"WHERE {agent} = %s AND NOT (SELECT yes FROM retired) "
        f"ORDER BY {at} DESC, {pk} DESC LIMIT %s) "
        "SELECT retired.yes, saved.*, logged.*, recent.* FROM retired "
        "LEFT JOIN saved ON true LEFT JOIN logged ON true LEFT JOIN recent ON true"
    )
    params = [
        unless_retired.strip(),
        *update_params,
        *insert_params,
        *counted_params,
        profile.pk,
        RECENT_ACTIONS,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    first = rows[0]  # the `retired` part always has its one row
    if first[0]:
        return None
    width = len(AgentSession._meta.concrete_fields)
    log_width = len(ActionLog._meta.concrete_fields)
    updated = None
    if first[1] is not None:  # the session's id: the UPDATE matched (this action held the lock)
        updated = from_row(AgentSession, first[1 : 1 + width])
        updated.agent = profile
    written = from_row(ActionLog, first[1 + width : 1 + width + log_width])
    written.agent = profile
    recent = [written]
    for row in rows:
        earlier = row[1 + width + log_width :]
        if earlier[0] is not None:  # the agent has earlier entries
            recent.append(from_row(ActionLog, earlier))
            recent[-1].agent = profile
    recent.sort(key=lambda e: (e.at, e.pk), reverse=True)
    return Saved(updated, written, recent[:RECENT_ACTIONS])


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column  # a concrete column
    return field.column


def _moment(value):
    """A datetime as the database compares it (SQLite stores text in its own format)."""
    return AgentSession._meta.get_field("busy_until").get_db_prep_value(value, connection)


def write_log(profile: AgentProfile, kind: str, **fields: Any) -> ActionLog:
    """The log entry, with its team's day counters, in one transaction."""
    with transaction.atomic():
        entry = ActionLog.objects.create(
            agent=profile, team_id=profile.team_id, kind=kind, **fit_to_fields(ActionLog, fields)
        )
        daycounts.count(entry)
    return entry


def choose(profile: AgentProfile, *, campaign_group: str, consent: str) -> AgentSession:
    """Save the agent's campaign group and consent filter; the session as now stored."""
    session = session_for(profile)
    AgentSession.objects.filter(pk=session.pk).update(
        campaign_group=campaign_group, consent=consent, version=F("version") + 1
    )
    session.refresh_from_db()
    session.agent = profile
    return session


def used_request_token(profile: AgentProfile, token: str) -> ActionLog | None:
    if not token:
        return None
    return ActionLog.objects.filter(agent=profile, request_token=token, ok=True).first()


def recent_actions(profile: AgentProfile, limit: int = RECENT_ACTIONS) -> list[ActionLog]:
    return list(ActionLog.objects.filter(agent=profile).order_by("-at", "-pk")[:limit])


def set_connections(profile: AgentProfile, delta: int) -> AgentSession | None:
    """Count the agent's open live connections (never below 0); the session as now stored,
    or None if the agent no longer exists.

    The count holds only while the workers holding those connections renew `seen_until`
    (desk/presence.py): a count whose renewal lapsed belongs to connections that are gone (a
    killed worker), so a new connection starts it again from zero, and the last one to leave
    clears it."""
    now = timezone.now()
    if delta > 0:
        values: dict[str, Any] = {"seen_until": now + presence_ttl()}
        expressions = {
            "connections": (
                "CASE WHEN seen_until IS NULL OR seen_until < %s THEN %s ELSE connections + %s END",
                [_moment(now), delta, delta],
            )
        }
    else:
        values = {}
        expressions = {
            "connections": (
                "CASE WHEN connections + %s <= 0 THEN 0 ELSE connections + %s END",
                [delta, delta],
            ),
            "seen_until": (
                "CASE WHEN connections + %s <= 0 THEN NULL ELSE seen_until END",
                [delta],
            ),
        }
    for _ in range(2):
        session = update_returning(AgentSession, "agent_id = %s", [profile.pk], values, expressions)
        if session is not None:
            session.agent = profile
            return session
        if delta < 0 or not AgentProfile.objects.filter(pk=profile.pk).exists():
            return None
        session_for(profile)
    return None


def presence_ttl() -> timedelta:
    return timedelta(seconds=settings.PRESENCE_TTL_SECONDS)


def renew_presence(agent_ids: list[int]) -> list[AgentSession]:
    """Renew the presence of the agents this worker holds connections for, and end every
    presence whose renewal lapsed (its worker is gone); returns the sessions that just went
    offline."""
    now = timezone.now()
    if agent_ids:
        AgentSession.objects.filter(agent_id__in=agent_ids).update(
            seen_until=now + presence_ttl(), connections=Greatest(F("connections"), 1)
        )
    lapsed = AgentSession.objects.filter(connections__gt=0, seen_until__lt=now)
    gone = list(lapsed.values_list("pk", flat=True))
    if not gone:
        return []
    AgentSession.objects.filter(pk__in=gone, seen_until__lt=now).update(
        connections=0, seen_until=None
    )
    return list(
        AgentSession.objects.filter(pk__in=gone, connections=0).select_related(
            "agent__user", "agent__team"
        )
    )


def _since_on_screen(session: AgentSession) -> QuerySet[ActionLog]:
    contact = contact_of(session)
    key = contact.account_number if contact is not None else ""
    entries = ActionLog.objects.filter(
        agent_id=session.agent_id, lcm_key=key[:80], at__gte=session.state_since, ok=True
    )
    # Another of the contact's numbers dialled is a new attempt: a confirmation given for
    # the first number does not carry over to it.
    return entries.filter(call_id=session.call_id) if session.call_id else entries


def dial_confirmed_at(session: AgentSession) -> datetime | None:
    """When the agent confirmed dialing the contact on screen outside calling hours, if so."""
    if session.state != AgentSession.PREVIEWING or not session.contact:
        return None
    entry = _since_on_screen(session).filter(kind=ActionLog.CONFIRM_DIAL).order_by("at").first()
    return entry.at if entry else None


def preview_over_logged(session: AgentSession) -> bool:
    return _since_on_screen(session).filter(kind=ActionLog.PREVIEW_OVER).exists()
