"""The exact-origin check for websockets: the page that opens a socket must come from this very
site (scheme, host and port) or from an origin in `CSRF_TRUSTED_ORIGINS`.

Channels' `AllowedHostsOriginValidator` compares host names only, so a page served from any
port or scheme of an allowed host (`http://localhost:9999`) could drive a logged-in agent's
desk. This is Django's CSRF origin rule applied to the websocket handshake.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the default port filled in; None if unreadable."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.path not in ("", "/"):
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        meta_name, secure_value = proxy_header
        header = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        return _header(scope, header).split(",")[0].strip() == secure_value
    return False


def site_origin(scope: dict[str, Any]) -> tuple[str, str, int] | None:
    """This site's own origin as the handshake reached it (Host must be an allowed host)."""
    host = _header(scope, b"host")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return normalized(("https" if _is_secure(scope) else "http") + "://" + host)


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = normalized(_header(scope, b"origin"))
    if origin is None:
        return False
    if origin == site_origin(scope):
        return True
    scheme, host, port = origin
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in trusted
        allowed = normalized(trusted.replace("://*.", "://", 1))
        if allowed is None:
            continue
        if not wildcard and origin == allowed:
            return True
        same_scheme_and_port = (scheme, port) == (allowed[0], allowed[2])
        if wildcard and same_scheme_and_port and is_same_domain(host, "." + allowed[1]):
            return True
    return False


class SameOriginValidator:
    """ASGI middleware: websocket handshakes from any other origin are refused (403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
