"""The do-not-call API: list a number, read it, take it off. Same tokens and envelope as the
contact import API; numbers are read by agentdesk.phones and answered in E.164."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from agentdesk import phones
from agentdesk.asyncdb import db_async
from agentdesk.compliance import dnc
from agentdesk.compliance.models import DoNotCallEntry

from .decorators import ApiRequest, api_token_required, error_response

MAX_BODY_BYTES = 16 * 1024
MAX_REASON = dnc.MAX_REASON


def dnc_record(entry: DoNotCallEntry) -> dict[str, Any]:
    return {
        "PhoneNumber": entry.number,
        "Reason": entry.reason,
        "AddedBy": entry.added_by,
        "AddedAt": entry.added_at.isoformat(),
        "ExpiresAt": entry.expires_at.isoformat() if entry.expires_at else None,
    }


def _answer(entry: DoNotCallEntry, status: int = 200, **extra: Any) -> JsonResponse:
    body = {"records": [dnc_record(entry)], "count": 1, "status": status, **extra}
    return JsonResponse(body, status=status)


def _field_error(status: int, field: str, message: str) -> JsonResponse:
    return error_response(
        status, f"{field} {message}.", errors=[{"field": field, "message": message}]
    )


def _region(raw: Any) -> tuple[str | None, JsonResponse | None]:
    if raw in (None, ""):
        return None, None
    region = str(raw).strip().upper()
    if not isinstance(raw, str) or not phones.is_region(region):
        return None, _field_error(400, "Region", "must be a country code like US or DE")
    return region, None


def _read_add(payload: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    number = payload.get("PhoneNumber")
    if number in (None, ""):
        errors.append({"field": "PhoneNumber", "message": "is required"})
    elif not isinstance(number, str | int) or isinstance(number, bool):
        errors.append({"field": "PhoneNumber", "message": "must be text"})
    reason = payload.get("Reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        errors.append({"field": "Reason", "message": "must be text"})
    elif len(reason.strip()) > MAX_REASON:
        errors.append({"field": "Reason", "message": f"is longer than {MAX_REASON} characters"})
    else:
        values["reason"] = reason.strip()
    expires = payload.get("ExpiresAt")
    if expires not in (None, ""):
        try:
            values["expires_at"] = dnc.parse_expiry(str(expires))
        except (ValueError, OverflowError):
            errors.append(
                {"field": "ExpiresAt", "message": "must be a date like 2027-01-31T00:00:00Z"}
            )
    return values, errors


@csrf_exempt
@require_http_methods(["POST"])
@api_token_required
async def add_number(request: ApiRequest) -> HttpResponse:
    """POST /api/dnc {"PhoneNumber", "Reason", "ExpiresAt"?, "Region"?}: list a number."""
    if len(request.body) > MAX_BODY_BYTES:
        return error_response(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(400, f"The body is not valid JSON: {exc}.")
    if not isinstance(payload, dict):
        return error_response(400, "The body must be a JSON object.")
    region, refused = _region(payload.get("Region"))
    if refused:
        return refused
    values, errors = _read_add(payload)
    if errors:
        return error_response(400, "The entry has invalid or missing fields.", errors=errors)
    actor = f"api:{request.api_token.name}"
    try:
        entry, created = await db_async(dnc.add)(
            payload["PhoneNumber"], region=region, added_by=actor, **values
        )
    except phones.PhoneError as error:
        return _field_error(400, "PhoneNumber", f"{error.raw!r} {error.reason}")
    return _answer(entry, 201 if created else 200, created=created)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
@api_token_required
async def one_number(request: ApiRequest, number: str) -> HttpResponse:
    """GET /api/dnc/{number}: is it listed; DELETE: take it off (unrestricted tokens only)."""
    region, refused = _region(request.GET.get("Region"))
    if refused:
        return refused
    try:
        e164 = phones.canonical(number, region)
    except phones.PhoneError as error:
        return _field_error(400, "number", f"{error.raw!r} {error.reason}")
    entry = await db_async(DoNotCallEntry.objects.filter(number=e164).first)()
    if entry is None:
        return error_response(404, f"{e164} is not on the do-not-call list.")
    if request.method == "GET":
        return _answer(entry, active=entry.is_active())
    if request.api_token.allowed_campaigns is not None:
        return error_response(
            403,
            "This token is limited to some campaigns; only an unrestricted token may "
            "take numbers off the do-not-call list.",
        )
    await db_async(entry.delete)()
    return _answer(entry, deleted=True)
