"""A faulty network path to LCM for the fault matrix: an HTTP proxy in front of the real lcmsim
server that forwards envelopes, or fails in one of the ways a real LCM or network does."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("refuse", "slow", "http_500", "garbage", "wrong_shape", "ws_error", "drop")


class FaultyLcm:
    def __init__(self, upstream: str, port: int) -> None:
        self.upstream = upstream
        self.port = port
        self.url = f"http://127.0.0.1:{port}/lcm"
        self.mode = "pass"
        self.slow_seconds = 2.0
        self.received: Counter[str] = Counter()
        self.sent: list[dict[str, Any]] = []  # the envelopes agentdesk sent, in order
        # subtopic -> (HTTP status, body, forward first): answer that subtopic with this body,
        # after passing the request on to the simulator when `forward first` (LCM acted).
        self.answers: dict[str, tuple[int, bytes, bool]] = {}
        # subtopic -> seconds: pass the request on (LCM acts at once), answer LCM's own answer
        # that much later.
        self.late: dict[str, float] = {}
        # subtopic -> share (0..1) of its requests answered late; unset: all of them.
        self.late_share: dict[str, float] = {}
        self.answered_late: Counter[str] = Counter()
        self.server: ThreadingHTTPServer | None = None
        self._in_flight = 0
        self._idle = threading.Condition()
        self.start()

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                with proxy._idle:
                    proxy._in_flight += 1
                try:
                    self._proxy_post()
                finally:
                    with proxy._idle:
                        proxy._in_flight -= 1
                        proxy._idle.notify_all()

            def _proxy_post(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    subtopic = json.loads(body).get("subtopic", "")
                    proxy.sent.append(json.loads(body))
                except ValueError:
                    subtopic = "?"
                proxy.received[subtopic] += 1
                if subtopic in proxy.answers:
                    status, canned, forward_first = proxy.answers[subtopic]
                    if forward_first:
                        urllib.request.urlopen(
                            urllib.request.Request(
                                proxy.upstream,
                                data=body,
                                headers={"Content-Type": "application/json"},
                            ),
                            timeout=30,
                        ).read()
                    return self._answer(status, canned)
                if subtopic in proxy.late and random.random() < proxy.late_share.get(subtopic, 1):
                    proxy.answered_late[subtopic] += 1
                    upstream = urllib.request.Request(
                        proxy.upstream, data=body, headers={"Content-Type": "application/json"}
                    )
                    with urllib.request.urlopen(upstream, timeout=30) as answer:
                        status, canned = answer.status, answer.read()
                    time.sleep(proxy.late[subtopic])
                    return self._answer(status, canned)
                mode = proxy.mode
                if mode == "slow":
                    time.sleep(proxy.slow_seconds)  # then answer, too late
                if mode == "drop":
                    self.wfile.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b'Content-Length: 500\r\n\r\n{"channel": "LCM", "mes'
                    )
                    self.wfile.flush()
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.close_connection = True
                    return
                if mode == "http_500":
                    return self._answer(500, b"Internal Server Error", "text/plain")
                if mode == "garbage":
                    return self._answer(200, b"<html>proxy error</html>", "text/html")
                if mode == "wrong_shape":
                    return self._answer(
                        200,
                        b'{"channel": "LCM", "subtopic": "Whatever", '
                        b'"message": {"response": [1, 2, 3]}}',
                    )
                if mode == "ws_error":
                    return self._answer(
                        200,
                        json.dumps(
                            {
                                "channel": "LCM",
                                "topic": "WebService",
                                "subtopic": "WS_Error",
                                "message": {
                                    "response": {
                                        "ErrorType": "WS_Error",
                                        "ErrorMessage": "Invalid Call ID.",
                                    }
                                },
                            }
                        ).encode(),
                    )
                request = urllib.request.Request(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"}
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        self._answer(answer.status, answer.read())
                except urllib.error.HTTPError as error:  # pass LCM's HTTP errors on as they are
                    self._answer(error.code, error.read(), error.headers.get_content_type())

            def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(
        self,
        subtopic: str,
        body: bytes | str | dict[str, Any] | list[Any] | None,
        *,
        status: int = 200,
        forward_first: bool = False,
    ) -> None:
        """Answer `subtopic` with `body` (JSON-encoded unless bytes or str)."""
        raw = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        self.answers[subtopic] = (status, raw, forward_first)

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        """Wait for requests still being handled (a "slow" one reaches LCM late), so none
        lands in the simulator during the next test."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"{self._in_flight} proxied requests still running")

    def set(self, mode: str) -> None:
        """Switch fault; "refuse" stops listening (connections refused), others keep it."""
        if mode == "refuse" and self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        elif mode != "refuse" and self.server is None:
            self.start()
        self.mode = mode

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
