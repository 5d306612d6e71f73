"""The do-not-call API on the contact API's NinjaAPI: list a number, read it, take it off.
Same Bearer tokens and envelope as the import; numbers are read by agentdesk.shared.phones and
answered in E.164."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import BeforeValidator, ConfigDict, Field

from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.shared import phones
from agentdesk.shared.asyncdb import db_async

from .api import ERRORS, ApiError, api, api_token, limit_body
from .schemas import Moment, _as_text

router = Router(tags=["do-not-call list"])
RegionCode = Annotated[
    str | None,
    Field(
        pattern="^[A-Za-z]{2}$",
        description="ISO country (US, DE) to read a number written without +",
    ),
]


class DncIn(Schema):
    """A number nobody may dial. Unknown field names are refused."""

    model_config = ConfigDict(extra="forbid")

    PhoneNumber: Annotated[
        str, BeforeValidator(_as_text), Field(min_length=1, max_length=phones.MAX_INPUT_LENGTH)
    ]
    Reason: Annotated[str, BeforeValidator(_as_text), Field(max_length=dnc.MAX_REASON)] = ""
    ExpiresAt: Moment = None
    Region: RegionCode = None


class DncRecord(Schema):
    """Reason, AddedBy and AddedAt are left out for a token limited to some campaigns."""

    PhoneNumber: str = Field(description="E.164")
    Reason: str | None = None
    AddedBy: str | None = None
    AddedAt: str | None = None
    ExpiresAt: str | None


class DncEnvelope(Schema):
    records: list[DncRecord]
    count: int
    status: int
    created: bool | None = Field(None, description="POST: the number was not listed before")
    active: bool | None = Field(None, description="GET: listed and not expired")
    deleted: bool | None = Field(None, description="DELETE: taken off the list")


def dnc_record(entry: DoNotCallEntry, *, limited: bool = False) -> dict[str, Any]:
    """`limited`: for a token limited to some campaigns, which must not learn why or by whom
    another tenant listed a number; it sees only whether and until when."""
    record = {
        "PhoneNumber": entry.number,
        "ExpiresAt": entry.expires_at.isoformat() if entry.expires_at else None,
    }
    if not limited:
        record |= {
            "Reason": entry.reason,
            "AddedBy": entry.added_by,
            "AddedAt": entry.added_at.isoformat(),
        }
    return record


def _envelope(
    entry: DoNotCallEntry, status: int = 200, *, limited: bool = False, **extra: Any
) -> Status[dict[str, Any]]:
    records = [dnc_record(entry, limited=limited)]
    return Status(status, {"records": records, "count": 1, "status": status, **extra})


def _unreadable(field: str, error: phones.PhoneError) -> ApiError:
    message = f"{error.raw!r} {error.reason}"
    return ApiError(400, f"{field} {message}.", [{"field": field, "message": message}])


@router.post(
    "",
    response={200: DncEnvelope, 201: DncEnvelope, 403: Any, **ERRORS},
    summary="Put a number on the do-not-call list",
)
@decorate_view(limit_body)
async def add_number(request: HttpRequest, entry: DncIn) -> Any:
    """201 when the number is new to the list; 200 when it was listed (reason and expiry are
    updated). A token limited to some campaigns may only keep a listed number longer: its
    reason and who added it stay, and an earlier expiry is refused (403)."""
    token = api_token(request)
    expires_at: datetime | None = entry.ExpiresAt
    if expires_at is not None and expires_at <= timezone.now():
        message = "is in the past; an entry that has already expired would block nothing"
        raise ApiError(400, f"ExpiresAt {message}.", [{"field": "ExpiresAt", "message": message}])
    limited = token.allowed_campaigns is not None
    try:
        listed, created = await db_async(dnc.add)(
            entry.PhoneNumber,
            region=(entry.Region or "").upper() or None,
            reason=entry.Reason,
            added_by=f"api:{token.name}",
            expires_at=expires_at,
            extend_only=limited,
        )
    except phones.PhoneError as error:
        raise _unreadable("PhoneNumber", error) from None
    except dnc.PastExpiry:
        message = "is in the past; an entry that has already expired would block nothing"
        raise ApiError(
            400, f"ExpiresAt {message}.", [{"field": "ExpiresAt", "message": message}]
        ) from None
    except dnc.WouldShorten as listed_longer:
        raise ApiError(
            403,
            f"{listed_longer} is listed longer than that. This token is limited to some "
            "campaigns; it may keep a number on the do-not-call list longer, never shorter.",
        ) from None
    return _envelope(listed, 201 if created else 200, limited=limited, created=created)


def _find(number: str, region: str | None) -> DoNotCallEntry:
    try:
        e164 = phones.canonical(number, (region or "").upper() or None)
    except phones.PhoneError as error:
        raise _unreadable("number", error) from None
    entry = DoNotCallEntry.objects.filter(number=e164).first()
    if entry is None:
        raise ApiError(404, f"{e164} is not on the do-not-call list.")
    return entry


@router.get("/{number}", response={200: DncEnvelope, **ERRORS}, summary="Is a number listed")
async def get_number(request: HttpRequest, number: str, Region: RegionCode = None) -> Any:
    limited = api_token(request).allowed_campaigns is not None
    entry = await db_async(_find)(number, Region)
    return _envelope(entry, limited=limited, active=entry.is_active())


@router.delete(
    "/{number}",
    response={200: DncEnvelope, 403: Any, **ERRORS},
    summary="Take a number off the do-not-call list",
)
async def delete_number(request: HttpRequest, number: str, Region: RegionCode = None) -> Any:
    """Only a token not limited to some campaigns may: the list covers every campaign. The
    removal is recorded (admin: "Do-not-call removals")."""
    token = api_token(request)
    if token.allowed_campaigns is not None:
        raise ApiError(
            403,
            "This token is limited to some campaigns; only an unrestricted token may take "
            "numbers off the do-not-call list.",
        )
    entry = await db_async(_find)(number, Region)
    await db_async(dnc.remove)(entry, removed_by=f"api:{token.name}", via="api")
    return _envelope(entry, deleted=True)


api.add_router("/dnc", router)
