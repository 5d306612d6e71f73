"""The do-not-call list: numbers are read by `agentdesk.shared.phones` and kept in E.164, so
`+1 202-555-0100` on the list blocks `(202) 555-0100` read in a US campaign."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dateutil import parser as date_parser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.shared import csvread, phones
from agentdesk.teams.models import Team

from .models import DoNotCallEntry, DoNotCallRemoval

MAX_CSV_BYTES = 10 * 1024 * 1024
MAX_CSV_ROWS = 50_000
MAX_REASON = 300


def active(now: datetime | None = None) -> Q:
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())


def listed(e164_numbers: Iterable[str], now: datetime | None = None) -> DoNotCallEntry | None:
    """The first active entry among numbers already in E.164, or None."""
    numbers = [n for n in e164_numbers if n]
    if not numbers:
        return None
    return DoNotCallEntry.objects.filter(active(now), number__in=numbers).first()


def listed_among(e164_numbers: Iterable[str], now: datetime | None = None) -> set[str]:
    """Which of these numbers (already E.164) are actively listed (one query)."""
    numbers = {n for n in e164_numbers if n}
    if not numbers:
        return set()
    entries = DoNotCallEntry.objects.filter(active(now), number__in=numbers)
    return set(entries.values_list("number", flat=True))


class WouldShorten(Exception):
    """A caller allowed only to extend a listing asked to end it sooner."""


class PastExpiry(ValueError):
    """An expiry that has passed: such an entry would block nothing, so listing one could
    only end a listing (removal is an admin's, recorded; see `remove`)."""


def add(
    raw: object,
    *,
    region: str | None = None,
    reason: str = "",
    added_by: str,
    expires_at: datetime | None = None,
    extend_only: bool = False,
    owner: str | None = None,
) -> tuple[DoNotCallEntry, bool]:
    """List a number (raises phones.PhoneError when it cannot be read, PastExpiry for an
    expiry that has passed). Listing it again updates the reason and expiry; returns
    (entry, created).

    `extend_only` is for callers that act for one team or campaign while the list covers all
    (leads, agents, limited tokens): on an entry someone else made they may keep it longer (no
    expiry, or a later one), never end it sooner (WouldShorten), and it keeps its reason and who
    added it. An entry `owner` made (its `added_by`) they may rewrite as they like."""
    if expires_at is not None and expires_at <= timezone.now():
        raise PastExpiry(expires_at)
    number = phones.canonical(raw, region)
    with transaction.atomic():
        existing = DoNotCallEntry.objects.select_for_update().filter(number=number).first()
        theirs = existing is not None and owner is not None and existing.added_by == owner
        if existing is not None and extend_only and not theirs:
            if _ends_sooner(expires_at, existing.expires_at):
                raise WouldShorten(number)
            if existing.expires_at != expires_at:
                existing.expires_at = expires_at
                existing.save(update_fields=["expires_at"])
            return existing, False
        entry, created = DoNotCallEntry.objects.update_or_create(
            number=number,
            defaults={
                "reason": reason[:MAX_REASON],
                "added_by": added_by[:150],
                "added_at": timezone.now(),
                "expires_at": expires_at,
            },
        )
    return entry, created


def _ends_sooner(new: datetime | None, current: datetime | None) -> bool:
    if current is None:
        return new is not None
    return new is not None and new < current


def remove(entry: DoNotCallEntry, *, removed_by: str, via: str) -> None:
    """Take an entry off the list, keeping a record of what it was and who removed it. Only
    an administrator (the admin site, an unrestricted API token) may."""
    with transaction.atomic():
        DoNotCallRemoval.objects.create(
            number=entry.number,
            reason=entry.reason,
            added_by=entry.added_by,
            added_at=entry.added_at,
            expires_at=entry.expires_at,
            removed_by=removed_by[:150],
            via=via,
        )
        entry.delete()


@dataclass
class CsvResult:
    added: int = 0
    updated: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)


CsvRejected = csvread.CsvRejected  # the file as a whole cannot be used
CSV_COLUMNS = ("PhoneNumber", "Reason", "ExpiresAt", "Region")


def parse_expiry(text: str) -> datetime | None:
    """An ISO date or date-time (naive: the server's zone); raises ValueError."""
    if not text:
        return None
    moment = date_parser.isoparse(text)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def import_csv(
    data: bytes, *, added_by: str, default_region: str = "", owner: str | None = None
) -> CsvResult:
    """Columns PhoneNumber (required), Reason, ExpiresAt (ISO date), Region (for numbers
    written without +); other columns are not read. Every readable row is listed; every other
    row is reported by line. A lead's upload (`owner`: their user name) follows the rules of
    `add(extend_only=True)`: it may extend a listing someone else made, never shorten, end or
    rewrite it."""
    if len(data) > MAX_CSV_BYTES:
        raise CsvRejected(_("The file is larger than 10 MB."))
    table = csvread.open_table(data, known=CSV_COLUMNS)
    if "PhoneNumber" not in table.header:
        raise CsvRejected(
            _("The header row needs a PhoneNumber column (and may have Reason, ExpiresAt, Region).")
        )
    result = CsvResult()
    with transaction.atomic():  # one commit for the file: fast on SQLite, all or nothing on a crash
        for line, (_physical, row) in enumerate(table.rows, start=2):
            if line - 1 > MAX_CSV_ROWS:  # each row is a write: bound the thread's time
                raise CsvRejected(
                    _("The file has more than %(rows)d rows; split it.") % {"rows": MAX_CSV_ROWS}
                )
            _import_row(
                line, row, result, added_by=added_by, default_region=default_region, owner=owner
            )
    return result


def _import_row(
    line: int,
    row: dict[str, Any],
    result: CsvResult,
    *,
    added_by: str,
    default_region: str,
    owner: str | None,
) -> None:
    raw = (row.get("PhoneNumber") or "").strip()
    region = (row.get("Region") or "").strip().upper() or default_region or None
    try:
        expires_at = parse_expiry((row.get("ExpiresAt") or "").strip())
    except (ValueError, OverflowError):
        result.problems.append((line, _("ExpiresAt is not a date like 2027-01-31")))
        return
    if region and not phones.is_region(region):
        message = _("Region %(region)s is not a country code like US or DE") % {"region": region}
        result.problems.append((line, message))
        return
    reason = (row.get("Reason") or "").strip()
    if len(reason) > MAX_REASON:
        message = _("Reason is longer than %(max)d characters") % {"max": MAX_REASON}
        result.problems.append((line, message))
        return
    try:
        _entry, created = add(
            raw,
            region=region,
            reason=reason,
            added_by=added_by,
            expires_at=expires_at,
            extend_only=owner is not None,
            owner=owner,
        )
    except phones.PhoneError as error:
        if error.needs_region:  # the list has no campaign: say what this page asks for
            message = _(
                "PhoneNumber %(raw)r has no country code (+…): write it with one, fill in the "
                "row's Region, or choose a default region for the file"
            ) % {"raw": raw}
        else:
            message = _("PhoneNumber %(raw)r %(reason)s") % {"raw": raw, "reason": error.reason}
        result.problems.append((line, message))
        return
    except PastExpiry:
        message = _("ExpiresAt is in the past; an entry that has already expired blocks nothing")
        result.problems.append((line, message))
        return
    except WouldShorten as number:
        message = _(
            "%(number)s is listed longer than that by someone else; you may keep it listed "
            "longer, never shorter"
        ) % {"number": number}
        result.problems.append((line, message))
        return
    if created:
        result.added += 1
    else:
        result.updated += 1


def listed_by_teams(team_ids: Iterable[int], *, also: str = "") -> Q:
    """Entries the people of `team_ids` listed: a lead (by user name) or an agent (by user
    name, or `agent:<LCM id>` from a DNC outcome); `also` adds one more maker (the reader).
    Why and by whom another tenant listed a number is theirs: a lead reads only these."""
    return Q(added_by__in=makers_of_teams(team_ids, also=also))


def readable_makers(user: Any) -> set[str] | None:
    """Whose records (do-not-call entries and their removals, consent evidence) `user` may
    read in the admin: None for a superuser (everyone's), else the people of the teams they
    lead and themselves."""
    if getattr(user, "is_superuser", False):
        return None
    led = Team.objects.filter(leads=user.pk).values_list("pk", flat=True)
    return makers_of_teams(led, also=user.get_username())


def makers_of_teams(team_ids: Iterable[int], *, also: str = "") -> set[str]:
    """How the people of `team_ids` are named as the makers of a record (see
    `listed_by_teams`)."""
    ids = list(team_ids)
    makers = {also} if also else set()
    makers |= set(
        Team.objects.filter(pk__in=ids, leads__isnull=False).values_list(
            "leads__username", flat=True
        )
    )
    for lcm_agent_id, username in Team.objects.filter(pk__in=ids, agents__isnull=False).values_list(
        "agents__lcm_agent_id", "agents__user__username"
    ):
        makers |= {f"agent:{lcm_agent_id}", username}
    return makers
