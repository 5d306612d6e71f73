"""Django's own middleware, run on the event loop instead of a thread per hook.

Django's built-in middlewares (security, sessions, common, CSRF, authentication, messages,
clickjacking) have only synchronous hooks, and under an ASGI server Django runs each hook
through `sync_to_async` on a thread started for the request: thirteen thread hops for one
agent action, the largest single cost in a profile of the worker (docs/benchmarks.md). Django
ships no async versions of them. Their hooks only read and write the request and response in
memory, so here they are called directly on the event loop; the two that can do I/O keep
their thread hop when they do (a session that must be saved, messages that must be stored),
and so does CSRF's form parsing for a large upload.

These are subclasses of Django's classes: everything else (settings, `csrf_exempt`, the
`csrf_protect` decorator, which uses Django's own class) behaves as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.checks import CheckMessage, Tags, register
from django.http import HttpRequest, HttpResponse
from django.middleware import clickjacking, common, csrf, security
from django.test.utils import override_settings
from django.utils.deprecation import MiddlewareMixin

# Above this, parsing a form body is worth a thread: it would stall every socket of the worker.
INLINE_BODY_BYTES = 256 * 1024

Hooked = TypeVar("Hooked", bound=type[MiddlewareMixin])
Blocking = Callable[[HttpRequest], bool]


def _never(request: HttpRequest) -> bool:
    return False


def on_event_loop(base: Hooked, *, response_blocks: Blocking = _never) -> Hooked:
    """`base` with its request and response hooks called on the event loop, except the
    response hook when `response_blocks(request)` says it would do I/O this time."""

    class OnEventLoop(base):  # type: ignore[valid-type,misc]
        async def __acall__(self, request: HttpRequest) -> HttpResponse:
            response = None
            if hasattr(self, "process_request"):
                response = self.process_request(request)
            response = response or await self.get_response(request)
            if hasattr(self, "process_response"):
                if response_blocks(request):
                    hook = sync_to_async(self.process_response, thread_sensitive=True)
                    response = await hook(request, response)
                else:
                    response = self.process_response(request, response)
            return response

    OnEventLoop.__name__ = OnEventLoop.__qualname__ = base.__name__
    OnEventLoop.__module__ = __name__
    OnEventLoop.__doc__ = f"{base.__module__}.{base.__name__} on the event loop."
    return OnEventLoop  # type: ignore[return-value]


class _Refused(HttpResponse):
    """What the token check decided: refuse, for `reason` (the page is rendered afterwards)."""

    def __init__(self, reason: str) -> None:
        super().__init__(status=403)
        self.reason = reason


class CsrfViewMiddleware(on_event_loop(csrf.CsrfViewMiddleware)):  # type: ignore[misc]
    """The token check on the event loop. The refusal page (which reads the logged-in user
    for its header) and the parsing of a large form body run in a thread."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return _Refused(reason)

    async def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        check = super().process_view
        if _large_body(request):
            decided = await sync_to_async(check, thread_sensitive=True)(request, view, args, kwargs)
        else:
            decided = check(request, view, args, kwargs)
        if isinstance(decided, _Refused):
            refuse = csrf.CsrfViewMiddleware._reject  # type: ignore[attr-defined]
            return await sync_to_async(refuse, thread_sensitive=True)(self, request, decided.reason)
        return decided


def _session_to_save(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


def _messages_to_store(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and (storage.used or storage.added_new)


def _large_body(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > INLINE_BODY_BYTES
    except ValueError:
        return True


SecurityMiddleware = on_event_loop(security.SecurityMiddleware)
SessionMiddleware = on_event_loop(sessions.SessionMiddleware, response_blocks=_session_to_save)
CommonMiddleware = on_event_loop(common.CommonMiddleware)
AuthenticationMiddleware = on_event_loop(auth.AuthenticationMiddleware)
MessageMiddleware = on_event_loop(messages.MessageMiddleware, response_blocks=_messages_to_store)
XFrameOptionsMiddleware = on_event_loop(clickjacking.XFrameOptionsMiddleware)


# ------------------------------------------------------------------ deploy checks

# Django's deploy checks find its security, session, CSRF and clickjacking middlewares by
# dotted path, and skip or change every check that depends on them (HSTS, SSL redirect, secure
# cookies, …) when the path is missing. The classes here live at other paths, so those checks
# run again as if Django's paths were listed in their place. What Django's own run then says
# wrongly ("middleware missing", "sessions without their middleware") is silenced in settings
# (SILENCED_FOR_RERUN); the rerun reports those cases under agentdesk.security.W0NN instead.
DJANGO_PATHS = {
    f"{__name__}.SecurityMiddleware": "django.middleware.security.SecurityMiddleware",
    f"{__name__}.SessionMiddleware": "django.contrib.sessions.middleware.SessionMiddleware",
    f"{__name__}.CsrfViewMiddleware": "django.middleware.csrf.CsrfViewMiddleware",
    f"{__name__}.XFrameOptionsMiddleware": "django.middleware.clickjacking.XFrameOptionsMiddleware",
}
SILENCED_FOR_RERUN = (
    "security.W001",
    "security.W002",
    "security.W003",
    "security.W010",
    "security.W013",
)


@register(Tags.security, deploy=True)
def check_as_django_middlewares(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    from django.core.checks.security import base as security
    from django.core.checks.security import csrf as csrf_checks
    from django.core.checks.security import sessions as session_checks

    dependent = (
        security.check_security_middleware,
        security.check_xframe_options_middleware,
        csrf_checks.check_csrf_middleware,
        security.check_sts,
        security.check_sts_include_subdomains,
        security.check_sts_preload,
        security.check_content_type_nosniff,
        security.check_ssl_redirect,
        security.check_xframe_deny,
        security.check_referrer_policy,
        security.check_cross_origin_opener_policy,
        csrf_checks.check_csrf_cookie_secure,
        session_checks.check_session_cookie_secure,
        session_checks.check_session_cookie_httponly,
    )
    as_django = [DJANGO_PATHS.get(path, path) for path in settings.MIDDLEWARE]
    found: list[CheckMessage] = []
    with override_settings(MIDDLEWARE=as_django):
        for check in dependent:
            found.extend(check(app_configs))
    rerun = [_renamed(message) for message in found]
    if as_django == list(settings.MIDDLEWARE):
        # Django's own run saw its own middlewares: only what the settings silence is new.
        rerun = [message for message in rerun if (message.id or "").startswith("agentdesk.")]
    return rerun


def _renamed(message: CheckMessage) -> CheckMessage:
    if message.id not in SILENCED_FOR_RERUN:
        return message
    return CheckMessage(
        message.level, message.msg, hint=message.hint, obj=message.obj, id=f"agentdesk.{message.id}"
    )
