"""Importing one dialler contact (seed 003): validate, resolve the campaign, send it to LCM
with CreateContact, store it. Used by the REST API and by the team leads' CSV import.

Everything is checked before LCM is called. Exactly once: agentdesk's record is written
*before* CreateContact is sent (state "sending"), so a lost answer or a killed worker leaves a
record that LCM may hold the contact; a retry with the same UserData finds it and finishes it
instead of creating a second agentdesk contact. An overwrite that changes what LCM holds
creates a new LCM contact and retires the old key (LCM has no update call; docs/api.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import ValidationError

from agentdesk import phones
from agentdesk.asyncdb import db_async
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
from agentdesk.retiredkeys.models import retire

from .models import (
    DATE_FIELDS,
    PHONE_FIELDS,
    TEXT_FIELDS,
    DiallerCampaign,
    DiallerContact,
    ImportClaim,
)
from .schemas import ContactIn

DEFAULT_WINDOW = timedelta(days=30)
CLAIM_STALE_AFTER = timedelta(minutes=2)
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

    @property
    def user_data(self) -> str:
        return self.contact.UserData or ""


def resolve_campaign(contact: ContactIn, allowed: set[int] | None) -> DiallerCampaign:
    """The campaign named by ID or name. Unknown and not-this-token's answer alike (404), so a
    token cannot probe which campaigns exist."""
    if contact.DiallerCampaignsID is None and not contact.DiallerCampaignsName:
        raise ImportRejected(
            400,
            "The contact has invalid or missing fields.",
            [FieldError("DiallerCampaignsID", "give DiallerCampaignsID or DiallerCampaignsName")],
        )
    campaigns = DiallerCampaign.objects.all()
    if allowed is not None:
        campaigns = campaigns.filter(pk__in=allowed)
    if contact.DiallerCampaignsID is not None:
        campaign = campaigns.filter(pk=contact.DiallerCampaignsID).first()
        label = f"DiallerCampaignsID {contact.DiallerCampaignsID}"
        name = contact.DiallerCampaignsName
        if campaign and name and campaign.name != name:
            raise ImportRejected(
                400,
                "DiallerCampaignsID and DiallerCampaignsName name different campaigns.",
                [FieldError("DiallerCampaignsName", "does not match DiallerCampaignsID")],
            )
    else:
        campaign = campaigns.filter(name=contact.DiallerCampaignsName).first()
        label = f"DiallerCampaignsName {contact.DiallerCampaignsName!r}"
    if campaign is None:
        raise ImportRejected(404, f"No campaign with {label} that this token may use.")
    return campaign


def _agent(uid: str | None, name: str, errors: list[FieldError]) -> str:
    """The LCM agent ID of an agent given by agentdesk user name or LCM agent ID."""
    if not uid:
        return ""
    profile = (
        AgentProfile.objects.filter(lcm_agent_id=uid).first()
        or AgentProfile.objects.filter(user__username__iexact=uid).first()
    )
    if profile is None:
        errors.append(FieldError(name, f"{uid!r} is not an agent agentdesk knows"))
        return ""
    return profile.lcm_agent_id


def prepare(contact: ContactIn, campaign: DiallerCampaign) -> Prepared:
    """Check the contact against its campaign and build what LCM gets; ImportRejected(400)."""
    errors: list[FieldError] = []
    values: dict[str, Any] = contact.model_dump(
        exclude_none=True, exclude={"DiallerCampaignsID", "DiallerCampaignsName"}
    )
    region = campaign.region
    numbers: list[tuple[str, str]] = []
    for name in PHONE_FIELDS:
        raw = values.get(name)
        if raw is None:
            continue
        try:
            number = phones.canonical(raw, region)
        except phones.PhoneError as exc:
            errors.append(FieldError(name, f"{raw!r} {exc.reason}"))
            continue
        values[name] = number
        numbers.append((name, number))
    if not numbers and not any(e.field in PHONE_FIELDS for e in errors):
        errors.append(
            FieldError("PhoneNumber1", "at least one of PhoneNumber1…PhoneNumber6 is required")
        )
    now = timezone.now()
    begin, end, follow_up = contact.dtBeginDate, contact.dtEndDate, contact.FollowUpDateTime
    if end is not None and end <= now:
        errors.append(FieldError("dtEndDate", f"has already passed ({end.isoformat()})"))
    elif end is not None and begin is not None and end <= begin:
        errors.append(FieldError("dtEndDate", "must be after dtBeginDate"))
    if follow_up is not None and end is not None and follow_up >= end:
        errors.append(FieldError("FollowUpDateTime", "must be before dtEndDate"))
    reserved = _agent(contact.ReservedUsersUID, "ReservedUsersUID", errors)
    follower = _agent(contact.FollowUpUsersUID, "FollowUpUsersUID", errors)
    if reserved and follower and reserved != follower:
        errors.append(
            FieldError(
                "FollowUpUsersUID",
                "must be the agent of ReservedUsersUID (LCM reserves a contact for one agent)",
            )
        )
    if errors:
        raise ImportRejected(400, "The contact has invalid or missing fields.", errors)
    for name in DATE_FIELDS:
        if name in values:
            values[name] = values[name].isoformat()
    agent = reserved or follower
    call_type = (
        CALL_TYPE_PERSONAL if agent else CALL_TYPE_CALLBACK if follow_up else CALL_TYPE_REGULAR
    )
    business = {
        campaign.business_name(name): values[name]
        for name in (*TEXT_FIELDS, "Amount")
        if name in values and campaign.business_name(name)
    }
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
    start = follow_up or begin or now
    request = m.CreateContact(
        campaign_id=campaign.name,
        call_start=timezone.localtime(start).replace(tzinfo=None),
        call_end=timezone.localtime(end or max(start, now) + DEFAULT_WINDOW).replace(tzinfo=None),
        business_fields={k: str(v) for k, v in business.items()},
        modes=tuple(ContactMode(name, number, campaign.time_zone) for name, number in modes),
        call_type=call_type,
        agent_id=agent,
        status=0,
        zip_code=str(lcm["zip"]),
    )
    try:
        request.to_data()  # builds the XML fields: a name LCM cannot take fails here, not in LCM
    except MessageError as exc:
        raise ImportRejected(
            400,
            "The campaign's field mapping cannot be sent to LCM.",
            [FieldError(exc.field, exc.problem)],
        ) from None
    return Prepared(contact, campaign, values, lcm, request)


def check(payload: Any, allowed: set[int] | None) -> Prepared:
    """Everything short of LCM: parse, resolve the campaign, check against it."""
    contact = payload if isinstance(payload, ContactIn) else parse(payload)
    return prepare(contact, resolve_campaign(contact, allowed))


# ------------------------------------------------------------------------------ claims


def _claim_key(campaign: DiallerCampaign, user_data: str) -> str:
    return hashlib.sha256(f"{campaign.pk}\x1f{user_data}".encode()).hexdigest()


def _take_claim(key: str) -> None:
    ImportClaim.objects.filter(key=key, created_at__lt=timezone.now() - CLAIM_STALE_AFTER).delete()
    try:
        with transaction.atomic():
            ImportClaim.objects.create(key=key)
    except IntegrityError:
        raise ImportRejected(
            409,
            "Another import of this UserData is under way; retry in a moment.",
            retry_after=1,
        ) from None


# ------------------------------------------------------------------------------ importing


@dataclass
class ImportOutcome:
    contact: DiallerContact
    created: bool
    changed_in_lcm: bool


class LcmOutcomeUnknown(ImportRejected):
    """CreateContact was sent but its answer was lost: LCM may hold the contact."""


def _surely_not_sent(exc: LcmError) -> bool:
    """True when LCM cannot have acted: it refused, or the call never left agentdesk."""
    if isinstance(exc, LcmRejected):
        return True
    if isinstance(exc, LcmUnreachable):
        return exc.__cause__ is None or isinstance(exc.__cause__, httpx.ConnectError)
    return False


def _begin(
    prepared: Prepared, overwrite: bool, actor: str, on_record: Callable[[int], None] | None
) -> tuple[DiallerContact, bool, bool]:
    """Find or write agentdesk's record before LCM is called: (record, created, must_send)."""
    campaign, user_data = prepared.campaign, prepared.user_data
    with transaction.atomic():
        existing = None
        if user_data:
            same = DiallerContact.objects.filter(campaign=campaign, user_data=user_data)
            # An earlier attempt whose outcome is unknown is finished first, whatever the flag.
            existing = same.exclude(lcm_state=DiallerContact.CONFIRMED).order_by("pk").first()
            if existing is None and overwrite:
                existing = same.order_by("-pk").first()
        created = existing is None
        record = existing or DiallerContact(
            campaign=campaign, user_data=user_data, lcm_state=DiallerContact.SENDING
        )
        must_send = (
            created
            or record.lcm_state != DiallerContact.CONFIRMED
            or (record.lcm_sent != prepared.lcm)
        )
        record.name = prepared.values["Name"]
        record.fields = {k: v for k, v in prepared.values.items() if k not in ("Name", "UserData")}
        record.imported_by = actor[:120]
        record.updated_at = timezone.now()
        if must_send:
            record.lcm_state = DiallerContact.SENDING
        record.save()
        if on_record is not None:
            on_record(record.pk)
    return record, created, must_send


def _settle(record: DiallerContact, prepared: Prepared, lcm_key: str) -> None:
    with transaction.atomic():
        old_key = record.lcm_key
        record.lcm_key = lcm_key
        record.lcm_sent = prepared.lcm
        record.lcm_state = DiallerContact.CONFIRMED
        record.save(update_fields=["lcm_key", "lcm_sent", "lcm_state"])
        if old_key and old_key != lcm_key:
            retire(old_key, replaced_by=lcm_key)


def _undo(record: DiallerContact, created: bool) -> None:
    """LCM surely did not act: leave agentdesk as it was before this import."""
    if created:
        record.delete()
    else:
        DiallerContact.objects.filter(pk=record.pk, lcm_state=DiallerContact.SENDING).update(
            lcm_state=DiallerContact.CONFIRMED if record.lcm_key else DiallerContact.UNKNOWN
        )


def _mark_unknown(record: DiallerContact) -> None:
    from django.db.models import F

    DiallerContact.objects.filter(pk=record.pk).update(
        lcm_state=DiallerContact.UNKNOWN, uncertain_attempts=F("uncertain_attempts") + 1
    )
    if record.lcm_key:
        # A replacement may exist now: the old data must not be dialled either way.
        retire(record.lcm_key, replaced_by="")


async def import_contact(
    payload: Any,
    *,
    overwrite: bool,
    allowed: set[int] | None,
    actor: str,
    on_record: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import one contact; raises ImportRejected with the status and message to answer.

    `on_record(contact_id)` runs in the transaction that writes agentdesk's record before LCM
    is called (the CSV import ties its row to the record there).
    """
    prepared = await db_async(check)(payload, allowed)
    claim = _claim_key(prepared.campaign, prepared.user_data) if prepared.user_data else None
    if claim:
        await db_async(_take_claim)(claim)
    try:
        record, created, must_send = await db_async(_begin)(prepared, overwrite, actor, on_record)
        if must_send:
            try:
                lcm_key = (await get_client().call(prepared.request)).answer.lcm_key
            except LcmError as exc:
                if _surely_not_sent(exc):
                    await db_async(_undo)(record, created)
                    raise _rejection(exc) from exc
                await db_async(_mark_unknown)(record)
                raise _unknown(exc, prepared) from exc
            await db_async(_settle)(record, prepared, lcm_key)
        await db_async(record.refresh_from_db)()
        return ImportOutcome(record, created=created, changed_in_lcm=must_send)
    finally:
        if claim:
            await db_async(lambda: ImportClaim.objects.filter(key=claim).delete())()


def _rejection(exc: LcmError) -> ImportRejected:
    if isinstance(exc, LcmRejected):
        return ImportRejected(502, f"LCM refused the contact: {exc.detail}. Nothing was stored.")
    return ImportRejected(503, f"{exc.describe()} Nothing was stored; retry later.", retry_after=30)


_LOST_ANSWER = {
    LcmTimeout: "LCM did not answer in time.",
    LcmBadAnswer: "LCM answered something agentdesk cannot read.",
    LcmUnreachable: "LCM is unreachable: the connection broke after the contact was sent.",
}


def _unknown(exc: LcmError, prepared: Prepared) -> LcmOutcomeUnknown:
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
    record: dict[str, Any] = {name: None for name in (*TEXT_FIELDS, *PHONE_FIELDS, *DATE_FIELDS)}
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


def campaign_record(campaign: DiallerCampaign) -> dict[str, Any]:
    return {
        "ID": campaign.pk,
        "Name": campaign.name,
        "CampaignGroup": campaign.campaign_group,
        "TimeZone": campaign.time_zone,
        "Region": campaign.region,
    }
