"""Importing dialler contacts (seed 003): validate, resolve the campaign, send each to LCM
with CreateContact, store it. One implementation for the REST API (a batch of one) and the
team leads' CSV import (a batch of many: checked in one go, written in one transaction,
sent to LCM a few at once, settled in one transaction).

Everything is checked before LCM is called. Exactly once: agentdesk's record is written
*before* CreateContact is sent (state "sending"), so a lost answer or a killed worker leaves a
record that LCM may hold the contact; a retry with the same UserData finds it and finishes it
instead of creating a second agentdesk contact. An overwrite that changes what LCM holds
creates a new LCM contact and retires the old key (LCM has no update call; docs/api.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError

from agentdesk.compliance import consent, dnc
from agentdesk.desk.models import AgentProfile
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import (
    LcmBadAnswer,
    LcmError,
    LcmRejected,
    LcmTimeout,
    LcmUnreachable,
    MessageError,
)
from agentdesk.lcm.xmlfields import ContactMode
from agentdesk.retiredkeys.models import retire_many
from agentdesk.shared import phones
from agentdesk.shared.asyncdb import db_async
from agentdesk.shared.bulkupdate import update_each

from .models import (
    CONSENT_FIELDS,
    DATE_FIELDS,
    PHONE_FIELDS,
    TEXT_FIELDS,
    DiallerCampaign,
    DiallerContact,
    ImportClaim,
)
from .schemas import ContactIn

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=30)
# CreateContact's Status (seed 000): 0 Open (dialled), 4 Delivered (never delivered to the
# dialer: "to prevent the newly added contact from delivering to the dialer").
LCM_STATUS_OPEN, LCM_STATUS_DELIVERED = 0, 4
CALL_TYPE_REGULAR, CALL_TYPE_CALLBACK, CALL_TYPE_PERSONAL = "0", "1", "2"


@dataclass
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ImportRejected(Exception):
    """The import cannot be done; `status` is the HTTP status the API answers with."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[FieldError] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.errors = errors or []
        self.retry_after = retry_after
        super().__init__(message)

    def describe(self) -> str:
        if self.errors:
            return "; ".join(f"{e.field} {e.message}" for e in self.errors)
        return self.message


# ------------------------------------------------------------------------------ checking

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of a contact (check the spelling)",
    "string_too_long": "is longer than {max_length} characters",
    "string_too_short": "is required",
    "string_type": "must be text",
    "int_parsing": "must be a whole number",
    "int_parsing_size": "must be a whole number of at most 19 digits",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number (not Infinity or NaN)",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "datetime_parsing": "must be a date and time like 2026-03-01T09:00:00",
    "datetime_from_date_parsing": "must be a date and time like 2026-03-01T09:00:00",
    "datetime_type": "must be a date and time like 2026-03-01T09:00:00",
}


def error_message(item: Mapping[str, Any]) -> str:
    """One pydantic error (type, ctx, msg) in the API's words."""
    template = _MESSAGES.get(str(item.get("type", "")))
    if template:
        try:
            return template.format(**(item.get("ctx") or {}))
        except (KeyError, IndexError):
            return template
    return str(item.get("msg", "is invalid")).removeprefix("Value error, ")


def field_errors(error: ValidationError) -> list[FieldError]:
    """pydantic's errors as one sentence per field, in the API's words."""
    problems = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][-1]) if item["loc"] else "body"
        problems.append(FieldError(name, error_message(item)))
    return problems


def parse(payload: Any) -> ContactIn:
    """A contact from decoded JSON (or a CSV row); ImportRejected(400) names every problem."""
    if not isinstance(payload, dict):
        raise ImportRejected(400, "The body must be a JSON object describing one contact.")
    try:
        return ContactIn.model_validate(payload)
    except ValidationError as exc:
        raise ImportRejected(
            400, "The contact has invalid or missing fields.", field_errors(exc)
        ) from None
    except RecursionError:
        raise ImportRejected(400, "The contact is nested too deeply.") from None


@dataclass
class Prepared:
    """A contact checked against its campaign and ready to send: nothing below can fail on
    agentdesk's side."""

    contact: ContactIn
    campaign: DiallerCampaign
    values: dict[str, Any]  # every given field as stored and answered (E.164 numbers, ISO dates)
    lcm: dict[str, Any]  # what LCM is to hold; compared with what it holds to tell a change
    request: m.CreateContact = field(repr=False)
    evidence: consent.Evidence | None = None  # consent evidence, kept once LCM has the contact

    @property
    def user_data(self) -> str:
        return self.contact.UserData or ""


def resolve_campaign(contact: ContactIn, allowed: set[int] | None) -> DiallerCampaign:
    """The campaign named by ID or name. Unknown and not-this-token's answer alike (404), so a
    token cannot probe which campaigns exist."""
    return Lookups(allowed).campaign(contact)


API_SCOPE = "that this token may use"  # an API token's import
CSV_SCOPE = "that your team may import into"  # a lead's CSV import


def _find_campaign(
    campaign_id: int | None, name: str | None, allowed: set[int] | None, scope: str = API_SCOPE
) -> DiallerCampaign:
    if campaign_id is None and not name:
        raise ImportRejected(
            400,
            "The contact has invalid or missing fields.",
            [FieldError("DiallerCampaignsID", "give DiallerCampaignsID or DiallerCampaignsName")],
        )
    campaigns = DiallerCampaign.objects.all()
    if allowed is not None:
        campaigns = campaigns.filter(pk__in=allowed)
    if campaign_id is not None:
        campaign = campaigns.filter(pk=campaign_id).first()
        label = f"DiallerCampaignsID {campaign_id}"
        if campaign and name and campaign.name != name:
            raise ImportRejected(
                400,
                "DiallerCampaignsID and DiallerCampaignsName name different campaigns.",
                [FieldError("DiallerCampaignsName", "does not match DiallerCampaignsID")],
            )
    else:
        campaign = campaigns.filter(name=name).first()
        label = f"DiallerCampaignsName {name!r}"
    if campaign is None:
        raise ImportRejected(404, " ".join(filter(None, ["No campaign with", label, scope])) + ".")
    return campaign


class Lookups:
    """What checking contacts reads, read once for the many contacts of one import: campaigns,
    agents and phone numbers for the whole import; the do-not-call list and the campaigns'
    consent policies fresh for every `check_many` (compliance is never judged on old data)."""

    def __init__(
        self, allowed: set[int] | None, scope: str = API_SCOPE, *, team_id: int | None = None
    ) -> None:
        self.allowed = allowed
        self.scope = scope  # whose campaigns, in the refusal of one not found
        # A lead's import: reserved agents must be on this team too.
        self.team_id = team_id
        self._campaigns: dict[tuple[int | None, str | None], DiallerCampaign | ImportRejected] = {}
        self._agents: dict[str, tuple[str, int | None, frozenset[str]] | None] = {}
        self._consent_only: dict[str, bool] = {}
        self._numbers: dict[tuple[str, str | None], str | phones.PhoneError] = {}

    def campaign(self, contact: ContactIn) -> DiallerCampaign:
        key = (contact.DiallerCampaignsID, contact.DiallerCampaignsName)
        if key not in self._campaigns:
            try:
                self._campaigns[key] = _find_campaign(*key, self.allowed, self.scope)
            except ImportRejected as rejected:
                self._campaigns[key] = rejected
        found = self._campaigns[key]
        if isinstance(found, ImportRejected):
            raise ImportRejected(found.status, found.message, found.errors)
        return found

    def agent(self, uid: str, campaign: DiallerCampaign) -> str:
        """The LCM agent ID of an agent given by user name or LCM agent ID who works the
        campaign's group (named in their profile) and, for a lead's import, is on the team;
        "" otherwise, whether or not such a name exists (so names cannot be probed)."""
        if uid not in self._agents:
            profile = (
                AgentProfile.objects.filter(lcm_agent_id=uid).first()
                or AgentProfile.objects.filter(user__username__iexact=uid).first()
            )
            self._agents[uid] = (
                (profile.lcm_agent_id, profile.team_id, frozenset(profile.campaign_groups or []))
                if profile is not None
                else None
            )
        found = self._agents[uid]
        if found is None:
            return ""
        agent_id, team_id, groups = found
        if not campaign.campaign_group or campaign.campaign_group not in groups:
            return ""
        if self.team_id is not None and team_id != self.team_id:
            return ""
        return agent_id

    def consent_required(self, campaign: str) -> bool:
        if campaign not in self._consent_only:
            self._consent_only[campaign] = consent.required_for(campaign)
        return self._consent_only[campaign]

    def canonical(self, raw: str, region: str | None) -> str:
        """phones.canonical, remembered: a file names the same few numbers' forms often."""
        key = (raw, region)
        if key not in self._numbers:
            try:
                self._numbers[key] = phones.canonical(raw, region)
            except phones.PhoneError as exc:
                self._numbers[key] = exc
        number = self._numbers[key]
        if isinstance(number, phones.PhoneError):
            raise number
        return number

    def check_many(self, payloads: Sequence[Any]) -> list[Prepared | ImportRejected]:
        """`check` for each payload, in order; the do-not-call list is read once for all."""
        self._consent_only = {}
        found: list[tuple[ContactIn, DiallerCampaign] | ImportRejected] = []
        for payload in payloads:
            try:
                contact = payload if isinstance(payload, ContactIn) else parse(payload)
                found.append((contact, self.campaign(contact)))
            except ImportRejected as rejected:
                found.append(rejected)
        listed = dnc.listed_among(
            number
            for item in found
            if not isinstance(item, ImportRejected)
            for number in self._readable_numbers(*item)
        )
        checked: list[Prepared | ImportRejected] = []
        for item in found:
            if isinstance(item, ImportRejected):
                checked.append(item)
                continue
            try:
                checked.append(prepare(*item, lookups=self, listed=listed))
            except ImportRejected as rejected:
                checked.append(rejected)
        return checked

    def _readable_numbers(self, contact: ContactIn, campaign: DiallerCampaign) -> list[str]:
        numbers = []
        for name in PHONE_FIELDS:
            raw = getattr(contact, name)
            if raw is not None:
                try:
                    numbers.append(self.canonical(raw, campaign.region))
                except phones.PhoneError:
                    continue
        return numbers


def _agent(
    lookups: Lookups,
    uid: str | None,
    name: str,
    errors: list[FieldError],
    campaign: DiallerCampaign,
) -> str:
    """The LCM agent ID of an agent given by agentdesk user name or LCM agent ID, who may be
    given this contact (Lookups.agent). One message for an unknown name and for an agent who
    may not: the answer must not tell which names exist."""
    if not uid:
        return ""
    agent_id = lookups.agent(uid, campaign)
    if not agent_id:
        where = " in this team" if lookups.team_id is not None else ""
        errors.append(
            FieldError(name, f"{uid!r} is not an agent who works this campaign's group{where}")
        )
    return agent_id


def prepare(
    contact: ContactIn,
    campaign: DiallerCampaign,
    *,
    lookups: Lookups | None = None,
    listed: Container[str] | None = None,
) -> Prepared:
    """Check the contact against its campaign and build what LCM gets; ImportRejected(400).
    `listed`: the do-not-call numbers among the contact's, when already read."""
    lookups = lookups or Lookups(None)
    errors: list[FieldError] = []
    values: dict[str, Any] = contact.model_dump(
        exclude_none=True, exclude={"DiallerCampaignsID", "DiallerCampaignsName"}
    )
    numbers = _read_numbers(values, campaign, lookups, errors)
    now = timezone.now()
    _check_window(contact, now, errors)
    agent = _read_agent(contact, campaign, lookups, errors)
    evidence = None
    try:
        evidence = consent.read_api_evidence(values)
    except consent.EvidenceError as exc:
        errors += [FieldError(name, message) for name, message in exc.problems]
    if errors:
        raise ImportRejected(400, "The contact has invalid or missing fields.", errors)
    _refuse_by_compliance(campaign, numbers, evidence, lookups, listed)
    for name in (*DATE_FIELDS, "ConsentGivenAt"):
        if name in values:
            values[name] = values[name].isoformat()
    lcm = _lcm_fields(contact, campaign, values, numbers, agent, evidence, now)
    request = _create_request(contact, campaign, lcm, now)
    return Prepared(contact, campaign, values, lcm, request, evidence)


def _read_numbers(
    values: dict[str, Any], campaign: DiallerCampaign, lookups: Lookups, errors: list[FieldError]
) -> list[tuple[str, str]]:
    """The contact's phone fields in E.164 (written back into `values`), in field order."""
    numbers: list[tuple[str, str]] = []
    for name in PHONE_FIELDS:
        raw = values.get(name)
        if raw is None:
            continue
        try:
            number = lookups.canonical(raw, campaign.region)
        except phones.PhoneError as exc:
            errors.append(FieldError(name, f"{raw!r} {exc.reason}"))
            continue
        values[name] = number
        numbers.append((name, number))
    if not numbers and not any(e.field in PHONE_FIELDS for e in errors):
        errors.append(
            FieldError("PhoneNumber1", "at least one of PhoneNumber1…PhoneNumber6 is required")
        )
    return numbers


def _window_over(contact: ContactIn, now: datetime) -> bool:
    """A dtEndDate in the past is how a CRM ends calling a contact: accepted, and the contact
    goes to LCM with Status 4 (Delivered) so it is never handed to the dialer."""
    return contact.dtEndDate is not None and contact.dtEndDate <= now


def _check_window(contact: ContactIn, now: datetime, errors: list[FieldError]) -> None:
    begin, end, follow_up = contact.dtBeginDate, contact.dtEndDate, contact.FollowUpDateTime
    if end is not None and begin is not None and end <= begin:
        errors.append(FieldError("dtEndDate", "must be after dtBeginDate"))
    if follow_up is not None and end is not None and follow_up >= end:
        errors.append(FieldError("FollowUpDateTime", "must be before dtEndDate"))


def _read_agent(
    contact: ContactIn, campaign: DiallerCampaign, lookups: Lookups, errors: list[FieldError]
) -> str | None:
    """The agent the contact is reserved or followed up for (LCM reserves it for one)."""
    reserved = _agent(lookups, contact.ReservedUsersUID, "ReservedUsersUID", errors, campaign)
    follower = _agent(lookups, contact.FollowUpUsersUID, "FollowUpUsersUID", errors, campaign)
    if reserved and follower and reserved != follower:
        errors.append(
            FieldError(
                "FollowUpUsersUID",
                "must be the agent of ReservedUsersUID (LCM reserves a contact for one agent)",
            )
        )
    return reserved or follower


def _lcm_fields(
    contact: ContactIn,
    campaign: DiallerCampaign,
    values: dict[str, Any],
    numbers: list[tuple[str, str]],
    agent: str | None,
    evidence: consent.Evidence | None,
    now: datetime,
) -> dict[str, Any]:
    """What LCM is to hold, in the campaign's own field and mode names (JSON-shaped)."""
    call_type = (
        CALL_TYPE_PERSONAL
        if agent
        else CALL_TYPE_CALLBACK
        if contact.FollowUpDateTime
        else CALL_TYPE_REGULAR
    )
    business = {
        campaign.business_name(name): values[name]
        for name in (*TEXT_FIELDS, "Amount")
        if name in values and campaign.business_name(name)
    }
    if evidence is not None:
        business["consent"] = "true"  # LCM's consent flag, for its consent filter
    modes = [[campaign.mode_name(name), number] for name, number in numbers]  # JSON-shaped
    lcm: dict[str, Any] = {
        "modes": modes,
        "business": business,
        "start": values.get("FollowUpDateTime") or values.get("dtBeginDate"),
        "end": values.get("dtEndDate"),
        "agent": agent,
        "call_type": call_type,
        "zip": values.get("PostalCode") or "",
        "time_zone": campaign.time_zone,
    }
    if _window_over(contact, now):
        # Only then: what LCM holds is compared with `lcm` to tell a change, and contacts sent
        # before this key existed must not look changed.
        lcm["status"] = LCM_STATUS_DELIVERED
    return lcm


def _create_request(
    contact: ContactIn, campaign: DiallerCampaign, lcm: dict[str, Any], now: datetime
) -> m.CreateContact:
    """The CreateContact for `lcm`; ImportRejected when the campaign's field names cannot be
    sent (it builds the XML fields here, not in LCM)."""
    end = contact.dtEndDate
    start = contact.FollowUpDateTime or contact.dtBeginDate or now
    if end is not None and start > end:
        start = end  # a window that is over: from its end to its end
    request = m.CreateContact(
        campaign_id=campaign.name,
        call_start=timezone.localtime(start).replace(tzinfo=None),
        call_end=timezone.localtime(end or max(start, now) + DEFAULT_WINDOW).replace(tzinfo=None),
        business_fields={k: str(v) for k, v in lcm["business"].items()},
        modes=tuple(ContactMode(name, number, campaign.time_zone) for name, number in lcm["modes"]),
        call_type=lcm["call_type"],
        agent_id=lcm["agent"],
        status=LCM_STATUS_DELIVERED if _window_over(contact, now) else LCM_STATUS_OPEN,
        zip_code=str(lcm["zip"]),
    )
    try:
        request.to_data()
    except MessageError as exc:
        raise ImportRejected(
            400,
            "The campaign's field mapping cannot be sent to LCM.",
            [FieldError(exc.field, exc.problem)],
        ) from None
    return request


def _refuse_by_compliance(
    campaign: DiallerCampaign,
    numbers: list[tuple[str, str]],
    evidence: consent.Evidence | None,
    lookups: Lookups,
    known_listed: Container[str] | None,
) -> None:
    """422 for a contact the compliance rules forbid: a number on the do-not-call list, or no
    consent evidence for a consent-only campaign; each problem names its field."""
    if known_listed is None:
        listed = dnc.listed_among([number for _name, number in numbers])
    else:
        listed = {number for _name, number in numbers if number in known_listed}
    problems = [
        FieldError(name, f"{number} is on the do-not-call list")
        for name, number in numbers
        if number in listed
    ]
    if evidence is None and lookups.consent_required(campaign.name):
        problems.append(
            FieldError(
                "ConsentGivenBy",
                f"campaign {campaign.name!r} takes only contacts with consent evidence: give "
                "ConsentGivenBy, ConsentGivenAt, ConsentChannel and ConsentWording",
            )
        )
    if problems:
        listed_text = ", ".join(sorted(listed))
        message = (
            f"The contact cannot be imported: {listed_text} on the do-not-call list."
            if listed
            else f"Campaign {campaign.name!r} takes only contacts with consent evidence."
        )
        raise ImportRejected(422, message, problems)


def check(payload: Any, allowed: set[int] | None) -> Prepared:
    """Everything short of LCM: parse, resolve the campaign, check against it."""
    checked = Lookups(allowed).check_many([payload])[0]
    if isinstance(checked, ImportRejected):
        raise checked
    return checked


# ------------------------------------------------------------------------------ claims


def _claim_key(campaign: DiallerCampaign, user_data: str) -> str:
    """ "" without UserData: such a contact cannot be told from another, so nothing to claim."""
    if not user_data:
        return ""
    return hashlib.sha256(f"{campaign.pk}\x1f{user_data}".encode()).hexdigest()


def _take_claims(keys: Collection[str]) -> set[str]:
    """Claim each key no other import holds; returns the keys taken.

    Hand-written SQL: INSERT … ON CONFLICT DO NOTHING RETURNING (PostgreSQL, SQLite 3.35+)
    says which keys went in, which the ORM's bulk_create(ignore_conflicts=True) cannot. Keys
    go in one order for every import, so two imports claiming overlapping keys cannot
    deadlock."""
    if not keys:
        return set()
    taken_at = timezone.now()
    stale = taken_at - claim_stale_after()
    ImportClaim.objects.filter(key__in=keys, created_at__lt=stale).delete()
    quote = connection.ops.quote_name
    now = connection.ops.adapt_datetimefield_value(taken_at)
    ordered = sorted(keys)
    table, key, created_at = quote(ImportClaim._meta.db_table), quote("key"), quote("created_at")
    # Identifiers come from the model, values go in as parameters.
    sql = (
        f"INSERT INTO {table} ({key}, {created_at}) "  # noqa: S608
        f"VALUES {', '.join(['(%s, %s)'] * len(ordered))} "
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for claim in ordered for value in (claim, now)])
        return {row[0] for row in cursor.fetchall()}


def claim_stale_after() -> timedelta:
    """How long a claim holds when its import never gives it back (a killed worker): longer
    than a batch can take to send, one contact after another, each up to LCM's timeout, so a
    claim of a live import is never taken from it."""
    batch_seconds = settings.IMPORT_BATCH_SIZE * (settings.LCM_TIMEOUT_SECONDS + 1)
    return timedelta(seconds=max(120.0, batch_seconds))


def _release_claims(keys: Collection[str]) -> None:
    if keys:
        ImportClaim.objects.filter(key__in=keys).delete()


# ------------------------------------------------------------------------------ importing


@dataclass
class ImportOutcome:
    contact: DiallerContact
    created: bool
    changed_in_lcm: bool


class LcmOutcomeUnknown(ImportRejected):
    """CreateContact was sent but its answer was lost: LCM may hold the contact."""


class ClaimBusy(ImportRejected):
    """Another import holds this UserData's claim right now (409)."""


Result = ImportOutcome | Exception
Tie = Callable[[list[tuple[int, int]]], None]


@dataclass(eq=False)
class _Item:
    """One checked contact on its way through a batch."""

    index: int  # its place among the batch's payloads
    prepared: Prepared
    claim: str | None
    record: DiallerContact | None = None
    created: bool = False
    must_send: bool = False
    answer: str | Exception | None = None  # LCM's key for it, or why there is none
    result: Result | None = None
    previous: dict[str, Any] | None = None  # an existing record's values before this import


def _surely_not_sent(exc: Exception) -> bool:
    """True when LCM cannot have acted: it refused, the circuit breaker held the call back, or
    the client knows the call never reached LCM (no connection, a 503). Anything else after
    the call left (a 502/504, a timeout, an unreadable answer, an unexpected error) may have
    created the contact."""
    if not isinstance(exc, LcmError):
        return False
    return isinstance(exc, LcmRejected) or exc.circuit_open or not exc.may_have_arrived


def _waves(items: list[_Item]) -> list[list[_Item]]:
    """Contacts sharing a UserData go in successive waves, as if imported one after another:
    a later one finds and updates what the earlier one wrote."""
    waves: list[list[_Item]] = []
    seen: Counter[str] = Counter()
    for item in items:
        wave = seen[item.claim] if item.claim else 0
        if item.claim:
            seen[item.claim] += 1
        while len(waves) <= wave:
            waves.append([])
        waves[wave].append(item)
    return waves


def _existing(items: list[_Item]) -> dict[tuple[int, str], list[DiallerContact]]:
    """agentdesk's records of the items' UserData, oldest first (one query)."""
    wanted = {(i.prepared.campaign.pk, i.prepared.user_data) for i in items if i.prepared.user_data}
    found: dict[tuple[int, str], list[DiallerContact]] = defaultdict(list)
    if wanted:
        candidates = DiallerContact.objects.filter(
            campaign_id__in={c for c, _u in wanted}, user_data__in={u for _c, u in wanted}
        ).order_by("pk")
        for record in candidates:
            key = (record.campaign_id, record.user_data)
            if key in wanted:
                found[key].append(record)
    return found


def _place(item: _Item, same: list[DiallerContact], overwrite: bool, actor: str) -> None:
    """The item's record: an earlier attempt whose outcome is unknown is finished first,
    whatever the flag; with overwrite the newest record is updated; else a new one."""
    prepared = item.prepared
    existing = next((r for r in same if r.lcm_state != DiallerContact.CONFIRMED), None)
    if existing is None and overwrite and same:
        existing = same[-1]
    record = existing or DiallerContact(
        campaign=prepared.campaign, user_data=prepared.user_data, lcm_state=DiallerContact.SENDING
    )
    item.created = existing is None
    item.must_send = (
        item.created
        or record.lcm_state != DiallerContact.CONFIRMED
        or record.lcm_sent != prepared.lcm
    )
    if existing is not None:
        item.previous = {
            "name": record.name,
            "fields": record.fields,
            "imported_by": record.imported_by,
            "updated_at": record.updated_at,
        }
    record.name = prepared.values["Name"]
    record.fields = {k: v for k, v in prepared.values.items() if k not in ("Name", "UserData")}
    record.imported_by = actor[:120]
    record.updated_at = timezone.now()
    if item.must_send:
        record.lcm_state = DiallerContact.SENDING
    item.record = record


def _begin(items: list[_Item], overwrite: bool, actor: str, tie: Tie | None) -> list[_Item]:
    """Claim the items' UserData and find or write agentdesk's records, in one transaction
    before LCM is called; returns the items whose claim was taken."""
    with transaction.atomic():
        taken = _take_claims({i.claim for i in items if i.claim})
        ready = [i for i in items if not i.claim or i.claim in taken]
        existing = _existing(ready)
        for item in ready:
            key = (item.prepared.campaign.pk, item.prepared.user_data)
            _place(item, existing.get(key, []) if item.prepared.user_data else [], overwrite, actor)
        records = [i.record for i in ready if i.record is not None]
        DiallerContact.objects.bulk_create([r for r in records if r.pk is None])
        old = [i.record for i in ready if i.record is not None and not i.created]
        update_each(
            DiallerContact,
            {
                r.pk: {
                    "name": r.name,
                    "fields": r.fields,
                    "imported_by": r.imported_by,
                    "updated_at": r.updated_at,
                    "lcm_state": r.lcm_state,
                }
                for r in old
            },
        )
        if tie is not None and ready:
            tie([(i.index, i.record.pk) for i in ready if i.record is not None])
    for item in items:
        if item not in ready:
            item.result = ClaimBusy(
                409,
                "Another import of this UserData is under way; retry in a moment.",
                retry_after=1,
            )
    return ready


async def _send(items: list[_Item], gate: asyncio.Semaphore) -> None:
    client = get_client()

    async def send(item: _Item) -> None:
        async with gate:
            try:
                item.answer = (await client.call(item.prepared.request)).answer.lcm_key
            except Exception as exc:  # kept per contact: one failure must not lose the others
                item.answer = exc

    await asyncio.gather(*(send(item) for item in items if item.must_send))


def _confirm(items: list[_Item]) -> None:
    replaced: dict[str, str] = {}
    changes = {}
    for item in items:
        record, lcm_key = item.record, item.answer
        assert record is not None and isinstance(lcm_key, str)
        if record.lcm_key and record.lcm_key != lcm_key:
            replaced[record.lcm_key] = lcm_key
        record.lcm_key, record.lcm_sent = lcm_key, item.prepared.lcm
        record.lcm_state = DiallerContact.CONFIRMED
        changes[record.pk] = {"lcm_key": lcm_key, "lcm_sent": item.prepared.lcm}
    update_each(DiallerContact, changes)
    DiallerContact.objects.filter(pk__in=list(changes)).update(lcm_state=DiallerContact.CONFIRMED)
    retire_many(replaced)
    for item in items:
        if item.prepared.evidence is not None and item.record is not None:
            modes = item.prepared.lcm["modes"]
            consent.record(
                item.prepared.evidence,
                number=modes[0][1] if modes else "",
                campaign=item.prepared.campaign.name,
                lcm_key=item.record.lcm_key,
                recorded_by=item.record.imported_by or "api",
            )


def _undo(items: list[_Item]) -> None:
    """LCM surely did not act: leave agentdesk as it was before this import."""
    records = [(i, i.record) for i in items if i.record is not None]
    DiallerContact.objects.filter(pk__in=[r.pk for i, r in records if i.created]).delete()
    # An existing record gets back the data it had: LCM still holds that, not this import's.
    update_each(DiallerContact, {r.pk: i.previous for i, r in records if i.previous is not None})
    sending = DiallerContact.objects.filter(lcm_state=DiallerContact.SENDING)
    kept = [r for i, r in records if not i.created]
    if with_key := [r.pk for r in kept if r.lcm_key]:
        sending.filter(pk__in=with_key).update(lcm_state=DiallerContact.CONFIRMED)
    if without := [r.pk for r in kept if not r.lcm_key]:
        sending.filter(pk__in=without).update(lcm_state=DiallerContact.UNKNOWN)


def _mark_unknown(items: list[_Item]) -> None:
    records = [i.record for i in items if i.record is not None]
    DiallerContact.objects.filter(pk__in=[r.pk for r in records]).update(
        lcm_state=DiallerContact.UNKNOWN, uncertain_attempts=F("uncertain_attempts") + 1
    )
    # A replacement may exist now: the old data must not be dialled either way.
    retire_many({r.lcm_key: "" for r in records if r.lcm_key})


def _settle(ready: list[_Item], claims: list[str]) -> dict[int, DiallerContact]:
    """Record what LCM answered and give back the claims, in one transaction; returns the
    records as stored."""
    failed = [i for i in ready if isinstance(i.answer, Exception)]
    not_sent = [i for i in failed if isinstance(i.answer, Exception) and _surely_not_sent(i.answer)]
    with transaction.atomic():
        if confirmed := [i for i in ready if i.must_send and isinstance(i.answer, str)]:
            _confirm(confirmed)
        if not_sent:
            _undo(not_sent)
        if lost := [i for i in failed if i not in not_sent]:
            _mark_unknown(lost)
        _release_claims(claims)
    kept = [i.record.pk for i in ready if i.record is not None and i.record.pk is not None]
    return DiallerContact.objects.select_related("campaign").in_bulk(kept)


def _result(item: _Item, records: dict[int, DiallerContact]) -> Result:
    answer = item.answer
    if isinstance(answer, LcmError) and _surely_not_sent(answer):
        rejection = _rejection(answer)
        rejection.__cause__ = answer
        return rejection
    if isinstance(answer, Exception):
        # Sent, and then anything went wrong: LCM may hold the contact.
        log.error(
            "CreateContact for %r failed after sending", item.prepared.user_data, exc_info=answer
        )
        unknown = _unknown(answer, item.prepared)
        unknown.__cause__ = answer
        return unknown
    assert item.record is not None
    return ImportOutcome(
        records[item.record.pk], created=item.created, changed_in_lcm=item.must_send
    )


async def _import_wave(
    items: list[_Item],
    overwrite: bool,
    actor: str,
    tie: Tie | None,
    gate: asyncio.Semaphore,
    wait_for_claims: bool,
) -> None:
    """Import the wave's items; with `wait_for_claims`, an item whose UserData another import
    holds waits for it (as long as a claim can be held) instead of failing with 409."""
    deadline = time.monotonic() + claim_stale_after().total_seconds()
    pause = CLAIM_WAIT_FIRST_SECONDS
    while True:
        await _import_ready(items, overwrite, actor, tie, gate)
        busy = [i for i in items if isinstance(i.result, ClaimBusy)]
        if not busy or not wait_for_claims or time.monotonic() + pause > deadline:
            return
        await asyncio.sleep(pause)  # the holder gives its claims back when it settles
        pause = min(pause * 2, CLAIM_WAIT_MAX_SECONDS)
        for item in busy:
            item.result = None
        items = busy


# How long an import waits before looking again at a UserData another import holds.
CLAIM_WAIT_FIRST_SECONDS = 0.05
CLAIM_WAIT_MAX_SECONDS = 1.0


async def _import_ready(
    items: list[_Item], overwrite: bool, actor: str, tie: Tie | None, gate: asyncio.Semaphore
) -> None:
    ready = await db_async(_begin)(items, overwrite, actor, tie)
    claims = [i.claim for i in ready if i.claim]
    try:
        await _send(ready, gate)
        records = await db_async(_settle)(ready, claims)
    except BaseException:
        await db_async(_release_claims)(claims)
        raise
    for item in ready:
        item.result = _result(item, records)


async def import_contacts(
    payloads: Sequence[Any],
    *,
    overwrite: bool,
    lookups: Lookups,
    actor: str,
    tie: Tie | None = None,
    gate: asyncio.Semaphore | None = None,
    wait_for_claims: bool = False,
) -> list[Result]:
    """Import many contacts as one batch; for each payload, in order, its outcome or the
    ImportRejected (or unexpected error) that stopped it.

    Checked in one go; then agentdesk's records are written in one transaction before LCM is
    called, `tie([(payload index, contact id), …])` running in that transaction (the CSV
    import ties its rows to the records there); then CreateContact for each, as many at once
    as `gate` lets through (default one); then the answers are recorded in one transaction.
    A contact whose UserData another import is working on fails with 409 (ClaimBusy), or,
    with `wait_for_claims` (the CSV import, which has no client to retry), waits for it.
    """
    gate = gate or asyncio.Semaphore(1)
    checked = await db_async(lookups.check_many)(payloads)
    items = [
        _Item(index, found, _claim_key(found.campaign, found.user_data) or None)
        for index, found in enumerate(checked)
        if isinstance(found, Prepared)
    ]
    for wave in _waves(items):
        try:
            await _import_wave(wave, overwrite, actor, tie, gate, wait_for_claims)
        except Exception as exc:  # the wave's contacts share the failure (e.g. the database's)
            for item in wave:
                item.result = item.result or exc
    results: list[Result] = [
        found if isinstance(found, ImportRejected) else RuntimeError("not imported")
        for found in checked
    ]
    for item in items:
        assert item.result is not None
        results[item.index] = item.result
    return results


async def import_contact(
    payload: Any,
    *,
    overwrite: bool,
    allowed: set[int] | None,
    actor: str,
) -> ImportOutcome:
    """Import one contact (a batch of one); raises ImportRejected with the status and message
    to answer."""
    (result,) = await import_contacts(
        [payload], overwrite=overwrite, lookups=Lookups(allowed), actor=actor
    )
    if isinstance(result, Exception):
        raise result
    return result


def _rejection(exc: LcmError) -> ImportRejected:
    if isinstance(exc, LcmRejected):
        return ImportRejected(502, f"LCM refused the contact: {exc.detail}. Nothing was stored.")
    return ImportRejected(503, f"{exc.describe()} Nothing was stored; retry later.", retry_after=30)


_LOST_ANSWER = {
    LcmTimeout: "LCM did not answer in time.",
    LcmBadAnswer: "LCM answered something agentdesk cannot read.",
    LcmUnreachable: "LCM is unreachable: the connection broke after the contact was sent.",
}


def _unknown(exc: Exception, prepared: Prepared) -> LcmOutcomeUnknown:
    what = next(
        (text for kind, text in _LOST_ANSWER.items() if isinstance(exc, kind)),
        "LCM's answer was lost.",
    )
    retry = (
        "Retry with the same UserData: agentdesk finishes this contact instead of making a "
        "second one."
        if prepared.user_data
        else "Without UserData a retry cannot be told from a new contact; send UserData."
    )
    status = 504 if isinstance(exc, LcmTimeout) else 502
    return LcmOutcomeUnknown(
        status,
        f"{what} LCM may have created the contact before its answer was lost. {retry}",
        retry_after=30,
    )


# ------------------------------------------------------------------------------ answers


def contact_record(contact: DiallerContact) -> dict[str, Any]:
    """The seed's contact shape: every field, the ID, the LCM key and the per-number counters."""
    record: dict[str, Any] = {
        name: None for name in (*TEXT_FIELDS, *PHONE_FIELDS, *DATE_FIELDS, *CONSENT_FIELDS)
    }
    record.update({"Amount": None, "RandomSortOrder": None})
    record.update(contact.fields)
    record.update(
        {
            "ID": contact.pk,
            "DiallerCampaignsID": contact.campaign_id,
            "DiallerCampaignsName": contact.campaign.name,
            "Name": contact.name,
            "UserData": contact.user_data or None,
            "LCMKey": contact.lcm_key if contact.lcm_state == DiallerContact.CONFIRMED else "",
            "LCMStatus": (
                "confirmed" if contact.lcm_state == DiallerContact.CONFIRMED else "unknown"
            ),
            "LCMPossibleDuplicate": contact.uncertain_attempts > 0,
            # The CreateContact Status sent: 0 Open (dialled), 4 Delivered (window over).
            "LCMContactStatus": (contact.lcm_sent or {}).get("status", LCM_STATUS_OPEN),
            "dtCreated": contact.created_at.isoformat(),
            "dtModified": contact.updated_at.isoformat(),
            "dtNextTry": None,
            "bLastResultMailbox": None,
            "LastAcdAgentEndReasonsID": None,
        }
    )
    for n in range(1, 7):
        record[f"nTriesPhoneNumber{n}"] = 0
        record[f"bPhoneNumber{n}Invalid"] = None
        record[f"nPhoneNumber{n}LastCause"] = None
        record[f"PhoneNumber{n}LastAcdAgentEndReasonsID"] = None
    return record


def dialling_note(contact: DiallerContact, *, replaced: bool) -> str:
    """What the import answer says about a contact whose dial window is over ("" otherwise);
    `replaced`: this import gave LCM a new contact in place of an older one."""
    sent = contact.lcm_sent or {}
    if sent.get("status") != LCM_STATUS_DELIVERED:
        return ""
    note = (
        f"dtEndDate {sent.get('end')} has passed: the contact is stored and sent to LCM with "
        "Status 4 (Delivered), so it is never dialled."
    )
    if replaced:
        note += (
            " The LCM contact it replaces is retired: if LCM hands it out, agentdesk closes it "
            "at once, so it is not dialled either."
        )
    return note


def campaign_record(campaign: DiallerCampaign) -> dict[str, Any]:
    return {
        "ID": campaign.pk,
        "Name": campaign.name,
        "CampaignGroup": campaign.campaign_group,
        "TimeZone": campaign.time_zone,
        "Region": campaign.region,
    }
