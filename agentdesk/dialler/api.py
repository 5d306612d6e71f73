"""The REST API (seed 003's dialler contact API) on django-ninja: one NinjaAPI object, its
Bearer-token auth and its JSON error envelope, and the dialler's routes.

Other apps add their routes with `api.add_router("/prefix/", router)` (before URLs are built)
and reuse `token_auth`; every error they raise comes back in the same envelope.
"""

from __future__ import annotations

import json
import logging
from functools import wraps
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI, Query, Router, Schema
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import Field

from agentdesk.shared.asyncdb import db_async

from . import importing
from .models import ApiToken, DiallerCampaign, DiallerContact, hash_token
from .schemas import MAX_ID, CampaignsEnvelope, ContactIn, ContactsEnvelope, ErrorEnvelope

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_PAGE_SIZE = 500
MAX_OFFSET = 10**9
ORDER_FIELDS = {
    "ID": "pk",
    "Name": "name",
    "UserData": "user_data",
    "dtCreated": "created_at",
    "dtModified": "updated_at",
    "DiallerCampaignsID": "campaign_id",
}


class ApiError(Exception):
    """Answer with the error envelope: `status`, `message`, field problems, extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}
        super().__init__(message)


def error_response(
    status: int,
    message: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """The seed's envelope for errors: no records, the status mirrored, and what went wrong."""
    body = {"records": [], "count": 0, "status": status, "message": message, "errors": errors or []}
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_token(request: HttpRequest) -> ApiToken:
    """The token `TokenAuth` authenticated the request with (django-ninja's request.auth)."""
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)
    return token


class JsonBody(Parser):
    """JSON bodies that cannot crash the parser with hostile nesting (ninja answers any parse
    failure 400)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            value = json.loads(request.body)
            # "\ud800" is valid JSON but no text: it cannot be stored or sent to LCM.
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except RecursionError:
            raise ValueError("nested too deeply") from None
        except UnicodeEncodeError:
            raise ValueError("a string holds a lone surrogate (\\uD800–\\uDFFF)") from None
        return value


def _too_big(request: HttpRequest) -> bool:
    """By the announced length, or, for a body sent in chunks without one, by what arrived (the
    ASGI server has already buffered it, within the site-wide limit of the body-limit
    middleware, so reading it costs nothing more)."""
    length = request.headers.get("Content-Length")
    if length is None:
        return len(request.body) > MAX_BODY_BYTES
    return not length.isdigit() or int(length) > MAX_BODY_BYTES


def limit_body(view: Any) -> Any:
    """413 before the body is parsed (ninja would turn any parser error into a 400)."""

    @wraps(view)
    async def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _too_big(request):
            return error_response(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
        return await view(request, *args, **kwargs)

    return limited


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`, checked against stored hashes; the token (with its
    campaigns in `allowed_campaigns`, None meaning all) becomes `request.auth`."""

    async def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        found = await db_async(_token_for)(token.strip())
        if found is None:
            raise ApiError(401, "The API token is not valid.", headers=_challenge("invalid_token"))
        if not found.is_active:
            raise ApiError(
                401, "The API token has been revoked.", headers=_challenge("invalid_token")
            )
        if found.allowed_campaigns == set():
            raise ApiError(
                403,
                "This token is limited to campaigns that no longer exist, so it may use none. "
                "An administrator can give it a campaign or revoke it.",
                headers=_challenge("insufficient_scope"),
            )
        return found


def _challenge(error: str = "") -> dict[str, str]:
    value = 'Bearer realm="agentdesk"' + (f', error="{error}"' if error else "")
    return {"WWW-Authenticate": value}


def _token_for(raw: str) -> ApiToken | None:
    token = ApiToken.objects.filter(token_hash=hash_token(raw)).first()
    if token is None or not token.is_active:
        return token
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    token.allowed_campaigns = token.campaign_scope()
    return token


token_auth = TokenAuth()

api = NinjaAPI(
    title="agentdesk contact API",
    version="1",
    description="CRM systems push contacts into LCM campaigns. See docs/api.md.",
    urls_namespace="api",
    parser=JsonBody(),
    auth=token_auth,
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.message, exc.errors, exc.headers)


@api.exception_handler(importing.ImportRejected)
def _rejected(request: HttpRequest, exc: importing.ImportRejected) -> HttpResponse:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    return error_response(exc.status, exc.message, [e.as_dict() for e in exc.errors], headers)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    problems = []
    for item in exc.errors:
        loc = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path")]
        if loc and loc[0] == "contact":
            loc = loc[1:]
        if item.get("type") in ("model_attributes_type", "dict_type") and not loc:
            return error_response(400, "The body must be a JSON object describing one contact.")
        problems.append(
            {"field": loc[-1] if loc else "body", "message": importing.error_message(item)}
        )
    return error_response(400, "The request has invalid or missing fields.", problems)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        401, "Send an API token: Authorization: Bearer <token>.", headers=_challenge()
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if message == "Cannot parse request body":
        message = "The body is not valid JSON (or nested too deeply)."
    return error_response(exc.status_code, message)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "Not found.")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "agentdesk failed unexpectedly; nothing was stored. Try again.")


def api_not_found(request: HttpRequest) -> HttpResponse:
    return error_response(404, f"No API call at {request.path}. See /api/docs.")


ERRORS: dict[int, Any] = {code: ErrorEnvelope for code in (400, 401, 404, 409, 413, 502, 503, 504)}

router = Router(tags=["dialler contacts"])


def _envelope(records: list[dict[str, Any]], status: int = 200, **extra: Any) -> dict[str, Any]:
    return {"records": records, "count": len(records), "status": status, **extra}


@router.post(
    "/contacts/import",
    response={200: ContactsEnvelope, **ERRORS},
    summary="Import (or update) one contact",
)
@decorate_view(limit_body)
async def import_contact(
    request: HttpRequest, contact: ContactIn, overwriteDuplicates: bool = False
) -> Any:
    """Create the contact in LCM with CreateContact and store it. With
    `overwriteDuplicates=true` the contact of the campaign with the same `UserData` is updated;
    if that changes what LCM holds, LCM gets a new contact and the old key is retired."""
    token = api_token(request)
    outcome = await importing.import_contact(
        contact,
        overwrite=overwriteDuplicates,
        allowed=token.allowed_campaigns,
        actor=f"api:{token.name}",
    )
    record = await db_async(importing.contact_record)(outcome.contact)
    replaced = outcome.changed_in_lcm and not outcome.created
    note = importing.dialling_note(outcome.contact, replaced=replaced)
    return _envelope(
        [record],
        created=outcome.created,
        changedInLCM=outcome.changed_in_lcm,
        message=note or None,
    )


def _visible_contacts(token: ApiToken) -> QuerySet[DiallerContact]:
    contacts = DiallerContact.objects.select_related("campaign")
    if token.allowed_campaigns is not None:
        contacts = contacts.filter(campaign_id__in=token.allowed_campaigns)
    return contacts


class ListQuery(Schema):
    filter: str = Field("", max_length=200, description="Text in Name, UserData or a number")
    limitStart: int = Field(0, ge=0, le=MAX_OFFSET)
    limitPageSize: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    orderBy: str = Field("ID", pattern="^(" + "|".join(ORDER_FIELDS) + ")$")
    ascending: bool = True


@router.get("/contacts", response={200: ContactsEnvelope, **ERRORS}, summary="List contacts")
async def list_contacts(request: HttpRequest, query: Query[ListQuery]) -> Any:
    token = api_token(request)
    text = query.filter.strip()

    def page() -> tuple[list[dict[str, Any]], int]:
        contacts = _visible_contacts(token)
        if text:
            match = Q(name__icontains=text) | Q(user_data__icontains=text)
            for n in range(1, 7):
                match |= Q(**{f"fields__PhoneNumber{n}__icontains": text})
            contacts = contacts.filter(match)
        total = contacts.count()
        ordering = ORDER_FIELDS[query.orderBy]
        contacts = contacts.order_by(ordering if query.ascending else f"-{ordering}", "pk")
        start = query.limitStart
        return [
            importing.contact_record(c) for c in contacts[start : start + query.limitPageSize]
        ], total

    records, total = await db_async(page)()
    return _envelope(records, total=total)


@router.get(
    "/contacts/{contact_id}", response={200: ContactsEnvelope, **ERRORS}, summary="One contact"
)
async def get_contact(request: HttpRequest, contact_id: int) -> Any:
    token = api_token(request)
    if not 0 < contact_id <= MAX_ID:
        raise ApiError(404, f"No contact with DiallerContactsID {contact_id}.")

    def find() -> dict[str, Any] | None:
        contact = _visible_contacts(token).filter(pk=contact_id).first()
        return importing.contact_record(contact) if contact else None

    record = await db_async(find)()
    if record is None:
        raise ApiError(404, f"No contact with DiallerContactsID {contact_id}.")
    return _envelope([record])


@router.get(
    "/campaigns", response={200: CampaignsEnvelope, **ERRORS}, summary="Campaigns to import into"
)
async def list_campaigns(request: HttpRequest) -> Any:
    token = api_token(request)

    def campaigns() -> list[dict[str, Any]]:
        queryset = DiallerCampaign.objects.order_by("pk")
        if token.allowed_campaigns is not None:
            queryset = queryset.filter(pk__in=token.allowed_campaigns)
        return [importing.campaign_record(c) for c in queryset]

    return _envelope(await db_async(campaigns)())


api.add_router("/dialler/", router)
