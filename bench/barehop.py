"""The floor agentdesk's action cost is measured against: a bare ASGI app under Daphne (no
Django) that forwards each posted envelope to LCM with one pooled httpx client and returns
LCM's answer. Whatever agentdesk spends beyond this per action is its own overhead.

    LCM_URL=http://…/lcm python -m daphne bench.barehop:application
"""

from __future__ import annotations

import os

import httpx

LCM_URL = os.environ["LCM_URL"]
_client: httpx.AsyncClient | None = None


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send, status: int, body: bytes, content_type: bytes) -> None:
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


async def application(scope, receive, send) -> None:
    global _client
    if scope["type"] != "http":
        return
    if scope["path"] != "/hop":
        await _respond(send, 200, b"ok", b"text/plain")
        return
    if _client is None:
        _client = httpx.AsyncClient(
            timeout=10,
            headers={"Content-Type": "application/json"},
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
    answer = await _client.post(LCM_URL, content=await _body(receive))
    await _respond(send, answer.status_code, answer.content, b"application/json")
