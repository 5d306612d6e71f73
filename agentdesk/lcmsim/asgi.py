"""The LCM simulator as its own HTTP server: `POST /lcm` takes an envelope, answers one.

A bare ASGI app (not a Django view) so faults such as a connection dropped mid-answer can be
produced exactly. Started by `python manage.py lcmsim`.
"""

import os
from collections.abc import Awaitable, Callable
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
os.environ.setdefault("LCM_SIMULATOR", "1")
django.setup()

from .service import SimulatorDown, SimulatorHttpFailure, handle_envelope_async  # noqa: E402

MAX_BODY_BYTES = 1_000_000
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _read_body(receive: Receive) -> bytes | None:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > MAX_BODY_BYTES:
            return b""
        if not message.get("more_body"):
            return body


async def _respond(
    send: Send, status: int, body: bytes, content_type: bytes = b"application/json"
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"].rstrip("/") != "/lcm":
        await _respond(send, 404, b'{"error": "not found; POST envelopes to /lcm"}')
        return
    if scope["method"] != "POST":
        await _respond(send, 405, b'{"error": "POST a JSON envelope"}')
        return
    body = await _read_body(receive)
    if body is None:
        return
    try:
        answer = await handle_envelope_async(body)
    except SimulatorHttpFailure as exc:
        kind = b"application/json" if exc.body.startswith(b"{") else b"text/plain"
        await _respond(send, exc.status, exc.body, kind)
        return
    except SimulatorDown:
        # "down" over HTTP: the server is there but refuses to serve.
        await _respond(send, 503, b"Service Unavailable", b"text/plain")
        return
    await _respond(send, 200, answer)
