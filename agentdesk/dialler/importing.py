"""Importing one dialler contact (seed 003): validate, resolve the campaign, create it in LCM
with CreateContact, store it. Used by the REST API and by the team leads' CSV import.

Nothing is half-written: LCM is asked first (when the contact is new to LCM) and the contact is
stored only once LCM has given it a key, so a caller whose request failed can simply retry.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from agentdesk.asyncdb import db_async
from agentdesk.lcm import messages as m
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError, LcmRejected, LcmTimeout, LcmUnreachable, MessageError
from agentdesk.lcm.fields import is_whole_number
from agentdesk.lcm.xmlfields import ContactMode

from .models import (
    DATE_FIELDS,
    PHONE_FIELDS,
    TEXT_FIELDS,
    DiallerCampaign,
    DiallerContact,
    ImportClaim,
)

PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ()\-.]{2,30}$")
LONG_TEXT = {"Comment": 2000, "ExternalSystemLink": 1000}
DEFAULT_WINDOW = timedelta(days=30)
CLAIM_STALE_AFTER = timedelta(minutes=2)
# BussinessFields names LCM gets for the seed's fields (the rest keep the seed's name).
BUSINESS_NAMES = {"Name": "last_name", "FirstName": "first_name"}


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


@dataclass
class CleanContact:
    campaign_id: int | None
    campaign_name: str
    values: dict[str, Any] = field(default_factory=dict)  # every seed field given, typed

    @property
    def user_data(self) -> str:
        return self.values.get("UserData") or ""

    @property
    def phones(self) -> list[tuple[str, str]]:
        return [(name, self.values[name]) for name in PHONE_FIELDS if self.values.get(name)]


def _text(value: Any, name: str, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        errors.append(FieldError(name, "must be text"))
        return None
    text = str(value).strip()
    limit = LONG_TEXT.get(name, 255)
    if len(text) > limit:
        errors.append(FieldError(name, f"is longer than {limit} characters"))
        return None
    return text


def _date(value: Any, name: str, errors: list[FieldError]) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
    errors.append(FieldError(name, "must be a date and time like 2026-03-01T09:00:00"))
    return None


def validate(payload: Any) -> CleanContact:
    """Check a contact body; raise ImportRejected(400) listing every problem."""
    if not isinstance(payload, dict):
        raise ImportRejected(400, "The body must be a JSON object describing one contact.")
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in payload:
            values[name] = _text(payload[name], name, errors)
    for name in DATE_FIELDS:
        if name in payload:
            moment = _date(payload[name], name, errors)
            values[name] = moment.isoformat() if moment else None
    if payload.get("Amount") is not None:
        try:
            values["Amount"] = float(Decimal(str(payload["Amount"])))
            if isinstance(payload["Amount"], bool):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(FieldError("Amount", "must be a number"))
    if payload.get("RandomSortOrder") is not None:
        order = payload["RandomSortOrder"]
        if isinstance(order, bool) or not isinstance(order, int):
            errors.append(FieldError("RandomSortOrder", "must be a whole number"))
        else:
            values["RandomSortOrder"] = order
    if not values.get("Name"):
        errors.append(FieldError("Name", "is required"))
    for name in PHONE_FIELDS:
        number = _text(payload.get(name), name, errors)
        if number:
            if PHONE_NUMBER.match(number) and sum(c in "0123456789" for c in number) >= 3:
                values[name] = number
            else:
                errors.append(FieldError(name, f"{number!r} is not a phone number"))
        elif name in payload:
            values[name] = None
    if not any(values.get(name) for name in PHONE_FIELDS) and not any(
        e.field in PHONE_FIELDS for e in errors
    ):
        errors.append(
            FieldError("PhoneNumber1", "at least one of PhoneNumber1…PhoneNumber6 is required")
        )
    begin, end = values.get("dtBeginDate"), values.get("dtEndDate")
    if begin and end and end < begin:
        errors.append(FieldError("dtEndDate", "must not be before dtBeginDate"))
    campaign_id = payload.get("DiallerCampaignsID")
    campaign_name = _text(payload.get("DiallerCampaignsName"), "DiallerCampaignsName", errors) or ""
    if campaign_id is not None and (
        isinstance(campaign_id, bool) or not isinstance(campaign_id, int)
    ):
        if isinstance(campaign_id, str) and is_whole_number(campaign_id.strip()):
            campaign_id = int(campaign_id)
        else:
            errors.append(FieldError("DiallerCampaignsID", "must be a whole number"))
            campaign_id = None
    if (
        campaign_id is None
        and not campaign_name
        and not any(e.field.startswith("DiallerCampaigns") for e in errors)
    ):
        errors.append(
            FieldError("DiallerCampaignsID", "give DiallerCampaignsID or DiallerCampaignsName")
        )
    if errors:
        raise ImportRejected(400, "The contact has invalid or missing fields.", errors)
    return CleanContact(campaign_id, campaign_name, values)


def resolve_campaign(clean: CleanContact, allowed: set[int] | None) -> DiallerCampaign:
    """The campaign named by ID or name; 404 when unknown, 403 when the caller may not use it."""
    if clean.campaign_id is not None:
        campaign = DiallerCampaign.objects.filter(pk=clean.campaign_id).first()
        label = f"DiallerCampaignsID {clean.campaign_id}"
        if campaign and clean.campaign_name and campaign.name != clean.campaign_name:
            raise ImportRejected(
                400,
                "DiallerCampaignsID and DiallerCampaignsName name different campaigns.",
                [FieldError("DiallerCampaignsName", "does not match DiallerCampaignsID")],
            )
    else:
        campaign = DiallerCampaign.objects.filter(name=clean.campaign_name).first()
        label = f"DiallerCampaignsName {clean.campaign_name!r}"
    if campaign is None:
        raise ImportRejected(404, f"No campaign with {label}.")
    if allowed is not None and campaign.pk not in allowed:
        raise ImportRejected(403, f"This token may not import into campaign {campaign.name!r}.")
    return campaign


def create_request(clean: CleanContact, campaign: DiallerCampaign) -> m.CreateContact:
    values = clean.values
    now = timezone.localtime()
    begin = datetime.fromisoformat(values["dtBeginDate"]) if values.get("dtBeginDate") else now
    end = (
        datetime.fromisoformat(values["dtEndDate"])
        if values.get("dtEndDate")
        else now + DEFAULT_WINDOW
    )
    business = {
        BUSINESS_NAMES.get(name, name): values[name]
        for name in TEXT_FIELDS
        if values.get(name) and not name.startswith("Account")
    }
    return m.CreateContact(
        campaign_id=campaign.name,
        call_start=timezone.localtime(begin).replace(tzinfo=None),
        call_end=timezone.localtime(end).replace(tzinfo=None),
        business_fields=business,
        modes=tuple(ContactMode(name, number, campaign.time_zone) for name, number in clean.phones),
        status=0,
        zip_code=values.get("PostalCode") or "",
    )


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


@dataclass
class ImportOutcome:
    contact: DiallerContact
    created: bool


async def import_contact(
    payload: Any, *, overwrite: bool, allowed: set[int] | None, actor: str
) -> ImportOutcome:
    """Import one contact; raises ImportRejected with the status and message to answer."""
    clean = validate(payload)
    campaign = await db_async(resolve_campaign)(clean, allowed)
    claim = None
    if overwrite and clean.user_data:
        claim = _claim_key(campaign, clean.user_data)
        await db_async(_take_claim)(claim)
    try:
        existing = None
        if overwrite and clean.user_data:
            existing = await db_async(
                lambda: (
                    DiallerContact.objects.filter(campaign=campaign, user_data=clean.user_data)
                    .order_by("pk")
                    .first()
                )
            )()
        lcm_key = existing.lcm_key if existing else ""
        if not lcm_key:
            lcm_key = await _create_in_lcm(clean, campaign)
        return await db_async(_store)(clean, campaign, existing, lcm_key, actor)
    finally:
        if claim:
            await db_async(lambda: ImportClaim.objects.filter(key=claim).delete())()


async def _create_in_lcm(clean: CleanContact, campaign: DiallerCampaign) -> str:
    try:
        request = create_request(clean, campaign)
        return (await get_client().call(request)).answer.lcm_key
    except MessageError as exc:
        raise ImportRejected(
            400, "The contact has invalid fields.", [FieldError(exc.field, exc.problem)]
        ) from exc
    except (LcmUnreachable, LcmTimeout) as exc:
        raise ImportRejected(
            503, f"{exc.describe()} Nothing was stored; retry later.", retry_after=30
        ) from exc
    except LcmRejected as exc:
        raise ImportRejected(502, f"LCM refused the contact: {exc.detail}") from exc
    except LcmError as exc:
        raise ImportRejected(502, f"{exc.describe()} Nothing was stored.") from exc


def _store(
    clean: CleanContact,
    campaign: DiallerCampaign,
    existing: DiallerContact | None,
    lcm_key: str,
    actor: str,
) -> ImportOutcome:
    fields = {k: v for k, v in clean.values.items() if k not in ("Name", "UserData")}
    if existing is not None:
        existing.name = clean.values["Name"]
        existing.fields = {**existing.fields, **fields}
        existing.lcm_key = lcm_key
        existing.updated_at = timezone.now()
        existing.imported_by = actor[:120]
        existing.save()
        return ImportOutcome(existing, created=False)
    contact = DiallerContact.objects.create(
        campaign=campaign,
        user_data=clean.user_data,
        name=clean.values["Name"],
        fields=fields,
        lcm_key=lcm_key,
        imported_by=actor[:120],
    )
    return ImportOutcome(contact, created=True)


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
            "LCMKey": contact.lcm_key,
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
    }
