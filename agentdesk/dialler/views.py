"""The dialler contact API (seed 003): import, list and read contacts; list campaigns."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from agentdesk.asyncdb import db_async

from . import importing
from .decorators import ApiRequest, api_token_required, error_response
from .models import DiallerCampaign, DiallerContact

MAX_BODY_BYTES = 256 * 1024
MAX_PAGE_SIZE = 500
ORDER_FIELDS = {
    "ID": "pk",
    "Name": "name",
    "UserData": "user_data",
    "dtCreated": "created_at",
    "dtModified": "updated_at",
    "DiallerCampaignsID": "campaign_id",
}


def _records(records: list[dict[str, Any]], status: int = 200, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"records": records, "count": len(records), "status": status, **extra}, status=status
    )


def _flag(request: HttpRequest, name: str, default: bool) -> bool | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    return None


@csrf_exempt
@require_POST
@api_token_required
async def import_contact(request: ApiRequest) -> HttpResponse:
    overwrite = _flag(request, "overwriteDuplicates", False)
    if overwrite is None:
        return error_response(
            400,
            "overwriteDuplicates must be true or false.",
            errors=[{"field": "overwriteDuplicates", "message": "must be true or false"}],
        )
    if len(request.body) > MAX_BODY_BYTES:
        return error_response(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(400, f"The body is not valid JSON: {exc}.")
    token = request.api_token
    try:
        outcome = await importing.import_contact(
            payload,
            overwrite=overwrite,
            allowed=token.allowed_campaigns,
            actor=f"api:{token.name}",
        )
    except importing.ImportRejected as rejected:
        response = error_response(
            rejected.status, rejected.message, errors=[e.as_dict() for e in rejected.errors]
        )
        if rejected.retry_after:
            response["Retry-After"] = str(rejected.retry_after)
        return response
    record = await db_async(importing.contact_record)(outcome.contact)
    return _records([record], created=outcome.created)


def _visible_contacts(token):
    contacts = DiallerContact.objects.select_related("campaign")
    if token.allowed_campaigns is not None:
        contacts = contacts.filter(campaign_id__in=token.allowed_campaigns)
    return contacts


@require_GET
@api_token_required
async def list_contacts(request: ApiRequest) -> HttpResponse:
    errors = []
    try:
        start = int(request.GET.get("limitStart", 0))
        if start < 0:
            raise ValueError
    except ValueError:
        errors.append({"field": "limitStart", "message": "must be a whole number, 0 or more"})
    try:
        size = int(request.GET.get("limitPageSize", 50))
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValueError
    except ValueError:
        errors.append({"field": "limitPageSize", "message": f"must be 1 to {MAX_PAGE_SIZE}"})
    order_by = request.GET.get("orderBy", "ID")
    if order_by not in ORDER_FIELDS:
        errors.append({"field": "orderBy", "message": f"must be one of {', '.join(ORDER_FIELDS)}"})
    ascending = _flag(request, "ascending", True)
    if ascending is None:
        errors.append({"field": "ascending", "message": "must be true or false"})
    if errors:
        return error_response(400, "Invalid query parameters.", errors=errors)
    text = request.GET.get("filter", "").strip()

    def page() -> tuple[list[dict], int]:
        contacts = _visible_contacts(request.api_token)
        if text:
            query = Q(name__icontains=text) | Q(user_data__icontains=text)
            for n in range(1, 7):
                query |= Q(**{f"fields__PhoneNumber{n}__icontains": text})
            contacts = contacts.filter(query)
        total = contacts.count()
        ordering = ORDER_FIELDS[order_by]
        contacts = contacts.order_by(ordering if ascending else f"-{ordering}", "pk")
        return [importing.contact_record(c) for c in contacts[start : start + size]], total

    records, total = await db_async(page)()
    return _records(records, total=total)


@require_GET
@api_token_required
async def get_contact(request: ApiRequest, contact_id: int) -> HttpResponse:
    def find():
        contact = _visible_contacts(request.api_token).filter(pk=contact_id).first()
        return importing.contact_record(contact) if contact else None

    record = await db_async(find)()
    if record is None:
        return error_response(404, f"No contact with DiallerContactsID {contact_id}.")
    return _records([record])


@require_GET
@api_token_required
async def list_campaigns(request: ApiRequest) -> HttpResponse:
    def campaigns() -> list[dict]:
        queryset = DiallerCampaign.objects.order_by("pk")
        if request.api_token.allowed_campaigns is not None:
            queryset = queryset.filter(pk__in=request.api_token.allowed_campaigns)
        return [importing.campaign_record(c) for c in queryset]

    return _records(await db_async(campaigns)())
