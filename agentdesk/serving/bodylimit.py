"""Request body limits, enforced inside Daphne before a body is buffered.

Where the memory of an oversized request went (a 100 MB multipart POST took a worker from
75 MB to 1.27 GB RSS, and it kept 280 MB afterwards):

1. Twisted, under Daphne, parses every multipart and form-encoded POST body into memory
   (`Request.requestReceived`), a result Daphne never uses.
2. Daphne then reads the whole body back and queues all of it for the application at once
   (`WebRequest.process`), before Django reads a byte.
3. Django's ASGI handler spools what it reads to a temporary file beyond
   `FILE_UPLOAD_MAX_MEMORY_SIZE`, so it is not the culprit; a limit inside Django or in ASGI
   middleware comes too late, because by then Daphne has buffered everything.

Daphne has no body limit, so `LimitedRequest` replaces its request class: it looks at the
`Content-Length` header as soon as the headers are in, counts the bytes of a streamed (chunked)
body as they arrive, and answers 413 the moment a body is over the limit for its route; the
rest of that body is read and thrown away, never stored, and the connection is closed.

A patch because nothing else does the job: neither Daphne nor Channels has a body limit, and a
limit in Django or ASGI middleware sees the body only after Daphne has buffered it. It reaches
into Daphne's `http_protocol.WebRequest` (read by its factory per connection) and Twisted's
`Request` (`gotLength`, `handleContentChunk`, `_parsePOSTFormSubmission`, `channel._path`);
tests/test_framework_adapters.py fails when an upgrade moves any of them.
"""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

# Room for a multipart envelope (boundaries, part headers, the CSRF field) around an upload.
MULTIPART_ALLOWANCE = 64 * 1024
# After answering 413, how long the client may go on sending (so it gets to read the answer)
# before the connection is closed.
LINGER_SECONDS = 5.0


def limit_for(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    if path.startswith("/imports/"):
        return settings.CSV_UPLOAD_MAX_BYTES + MULTIPART_ALLOWANCE
    return settings.REQUEST_BODY_MAX_BYTES


def refusal(path: str, limit: int) -> bytes:
    """The whole 413 answer; under /api/ in the API's JSON envelope, like its other errors."""
    message = f"Request body too large: this address accepts at most {limit:,} bytes."
    if path.startswith("/api/"):
        body = json.dumps(
            {"records": [], "count": 0, "status": 413, "message": message, "errors": []}
        ).encode()
        content_type = b"application/json"
    else:
        body, content_type = (message + "\n").encode(), b"text/plain; charset=utf-8"
    return (
        b"HTTP/1.1 413 Content Too Large\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: close\r\n\r\n" + body
    )


def install_daphne_guard() -> None:
    """Make Daphne build `LimitedRequest`s (its factory reads the module-level name)."""
    from daphne import http_protocol

    if getattr(http_protocol.WebRequest, "agentdesk_limited", False):
        return

    class LimitedRequest(http_protocol.WebRequest):
        agentdesk_limited = True
        _body_limit = 0
        _body_path = ""
        _body_seen = 0
        _refused = False

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Daphne reads the raw body itself; Twisted's in-memory form parsing is waste.
            self._parsePOSTFormSubmission = False

        def gotLength(self, length: int | None) -> None:
            raw_path = getattr(self.channel, "_path", b"") or b""
            path = urlsplit(raw_path.decode("latin-1")).path
            self._body_path = path
            self._body_limit = limit_for(path)
            if length is not None and length > self._body_limit:
                # Refused on the header alone: no "100 Continue", nothing stored.
                self.requestHeaders.removeHeader(b"Expect")
                self._refuse()
                length = 0
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:
            if self._refused:
                return
            self._body_seen += len(data)
            if self._body_seen > self._body_limit:
                self.content.close()  # type: ignore[has-type]
                self.content = BytesIO()
                self._refuse()
                return
            super().handleContentChunk(data)

        def process(self) -> Any:
            if self._refused:
                self.channel.loseConnection()
                return None
            return super().process()

        def _refuse(self) -> None:
            from twisted.internet import reactor

            self._refused = True
            self.channel.transport.write(refusal(self._body_path, self._body_limit))
            reactor.callLater(LINGER_SECONDS, self._close_if_open)  # type: ignore[arg-type]

        def _close_if_open(self) -> None:
            transport = getattr(self.channel, "transport", None)
            if transport is not None and transport.connected:
                self.channel.loseConnection()

    http_protocol.WebRequest = LimitedRequest
