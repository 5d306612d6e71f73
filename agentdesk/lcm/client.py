"""The async LCM client: builds the envelope, sends it over a transport, reads the answer.

Transports: HTTP (httpx, one shared connection pool per event loop) for an `http(s)://` LCM_URL;
any other LCM_URL names a transport an installed app registered with `register_transport`
(the bundled simulator registers "embedded"), so this layer never imports what sits above it.
Every failure becomes a typed LcmError. Reads are retried once on a
transport failure; calls that change LCM state (hand out or create or close a contact) never
are, because LCM may have acted before the failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .envelope import build_request, parse_answer, refusal_text
from .errors import (
    LcmBadAnswer,
    LcmError,
    LcmRejected,
    LcmTimeout,
    LcmUnreachable,
    MessageError,
)
from .messages import AnswerT, LcmRequest

log = logging.getLogger(__name__)


class Transport(Protocol):
    async def exchange(self, envelope: dict[str, Any]) -> bytes: ...


def check_http_status(status: int, body: bytes) -> bytes:
    """The body of a successful HTTP answer; an HTTP error becomes a typed LcmError.

    LCM's own words win: an error status whose body is an LCM error (WS_Error, ErrorMessage…)
    is LCM refusing, with its text. Otherwise 502–504 mean LCM is unavailable behind a proxy
    (503: it refused to serve, so it did nothing; 502 and 504 may come after it acted) and any
    other error status is an answer agentdesk cannot read.
    """
    if status < 400:
        return body
    try:
        text = refusal_text(json.loads(body)) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        text = None
    if text is not None:
        raise LcmRejected(text)
    if status in (502, 503, 504):
        error = LcmUnreachable(f"LCM answered HTTP {status} (unavailable)")
        error.may_have_arrived = status != 503
        raise error
    raise LcmBadAnswer(f"LCM answered HTTP {status}")


class HttpTransport:
    """POSTs each envelope as JSON to `url`; the answer envelope is the response body."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        # httpx pools are bound to the event loop that created them.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                headers={"Content-Type": "application/json"},
            )
            self._clients[loop] = client
        return client

    async def exchange(self, envelope: dict[str, Any]) -> bytes:
        try:
            response = await self._client().post(self.url, content=json.dumps(envelope))
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            error: LcmError = LcmTimeout(f"could not connect within {self.timeout:g} s")
            error.may_have_arrived = False
            raise error from exc
        except httpx.TimeoutException as exc:
            raise LcmTimeout(f"no answer within {self.timeout:g} s") from exc
        except httpx.ConnectError as exc:
            error = LcmUnreachable(f"{type(exc).__name__}: {exc}")
            error.may_have_arrived = False  # nothing was sent
            raise error from exc
        except httpx.HTTPError as exc:
            # Cut while sending or reading: the request may have reached LCM.
            raise LcmUnreachable(f"{type(exc).__name__}: {exc}") from exc
        return check_http_status(response.status_code, response.content)


TransportFactory = Callable[[], Transport]
_named_transports: dict[str, TransportFactory] = {}


def register_transport(name: str, factory: TransportFactory) -> None:
    """Let LCM_URL=`name` route envelopes through `factory()` (called in AppConfig.ready)."""
    _named_transports[name] = factory


def transport_for(url: str, timeout: float) -> Transport:
    """The one place LCM_URL picks a transport."""
    if url.startswith(("http://", "https://")):
        return HttpTransport(url, timeout)
    factory = _named_transports.get(url)
    if factory is None:
        raise ImproperlyConfigured(
            f"LCM_URL={url!r}: not an http(s) URL and no installed app provides that transport "
            f"(known: {', '.join(sorted(_named_transports)) or 'none'})"
        )
    return factory()


class CircuitBreaker:
    """Stops calling an LCM that keeps failing at the transport level (unreachable, timing
    out), so a dead LCM costs each action a fast, clear error instead of a full timeout.

    closed: calls go through. After `threshold` transport failures in a row it opens: calls
    fail at once for `cooldown` seconds. Then half-open: one call goes through; its success
    closes the circuit, its failure opens it again. Per worker process. `clock` (seconds,
    monotonic) is there for tests to move time instead of waiting for it."""

    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at = 0.0
        self.trial_running = False

    @property
    def state(self) -> str:
        if self.failures < self.threshold:
            return self.CLOSED
        if self.clock() - self.opened_at < self.cooldown:
            return self.OPEN
        return self.HALF_OPEN

    def retry_in(self) -> float:
        return max(0.0, self.cooldown - (self.clock() - self.opened_at))

    def before_call(self, subtopic: str) -> None:
        state = self.state
        if state == self.OPEN or (state == self.HALF_OPEN and self.trial_running):
            error = LcmUnreachable(
                f"circuit open after {self.failures} failures; next try in {self.retry_in():.0f} s",
                subtopic=subtopic,
            )
            error.circuit_open = True
            error.user_message = (
                "LCM is not answering, so agentdesk is pausing calls to it for a few seconds. "
                "Nothing was changed; try again shortly."
            )
            raise error
        if state == self.HALF_OPEN:
            self.trial_running = True

    def succeeded(self) -> None:
        self.failures = 0
        self.trial_running = False

    def failed(self) -> bool:
        """Count a transport failure; True when this failure opened (or reopened) the circuit."""
        self.trial_running = False
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = self.clock()
            return True
        return False

    def describe(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "failures": self.failures,
            "retry_in": round(self.retry_in(), 1) if self.state == self.OPEN else 0,
        }


@dataclass(frozen=True)
class CallRecord:
    """What one `LcmClient.call` did, for observers (operators' metrics): its subtopic, "ok"
    or the LcmError kind ("circuit_open" when the breaker refused it), and its duration."""

    subtopic: str
    result: str
    seconds: float
    opened_circuit: bool = False


CallObserver = Callable[[CallRecord], None]
_observers: list[CallObserver] = []


def observe_calls(observer: CallObserver) -> None:
    """Have `observer` told about every LCM call (apps above register in AppConfig.ready, so
    this layer never imports them). Observers must be quick and must not raise."""
    if observer not in _observers:
        _observers.append(observer)


def _tell_observers(record: CallRecord) -> None:
    for observer in _observers:
        try:
            observer(record)
        except Exception:
            log.exception("LCM call observer %r failed", observer)


@dataclass(frozen=True)
class LcmExchange(Generic[AnswerT]):
    """One completed call: what was asked, what LCM answered, and how long it took."""

    request: LcmRequest[AnswerT]
    answer: AnswerT
    latency_ms: float
    attempts: int


class LcmClient:
    def __init__(
        self,
        transport: Transport,
        *,
        timeout: float,
        source: str,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.source = source
        self.breaker = breaker or CircuitBreaker()

    async def call(self, request: LcmRequest[AnswerT]) -> LcmExchange[AnswerT]:
        """Send `request`; return its typed answer or raise an LcmError (with `latency_ms`).

        A write's error says `outcome_unknown` when LCM may have acted: it timed out, answered
        something unreadable, or the connection broke after the request went out."""
        started = time.perf_counter()
        trace = {"opened_circuit": False}
        result = "cancelled"  # unless it ends otherwise below
        try:
            exchange = await self._call(request, trace)
            result = "ok"
            return exchange
        except LcmError as error:
            result = "circuit_open" if error.circuit_open else error.kind
            raise
        finally:
            _tell_observers(
                CallRecord(
                    request.SUBTOPIC,
                    result,
                    time.perf_counter() - started,
                    opened_circuit=trace["opened_circuit"],
                )
            )

    async def _call(
        self, request: LcmRequest[AnswerT], trace: dict[str, bool]
    ) -> LcmExchange[AnswerT]:
        envelope = build_request(
            request.SUBTOPIC, request.to_data(settings.LCM_REQUEST_STYLE), self.source
        )
        attempts = 1 if request.WRITES else 2
        started = time.perf_counter()
        for attempt in range(1, attempts + 1):
            self.breaker.before_call(request.SUBTOPIC)
            try:
                # A little slack so an HTTP transport reports its own timeout first.
                body = await asyncio.wait_for(
                    self.transport.exchange(envelope), self.timeout + 0.25
                )
                response = parse_answer(
                    body,
                    request.ANSWERS,
                    request=request.SUBTOPIC,
                    response_keys=request.RESPONSE_KEYS,
                    # Wrap-up requests carry a call id, which their answers echo.
                    call_id=str(getattr(request, "call_id", "") or ""),
                    strict=request.WRITES,
                    keyed=request.ANSWER_IS_KEY,
                )
                try:
                    answer = request.read_answer(response)
                except MessageError as exc:
                    raise LcmBadAnswer(str(exc), subtopic=request.SUBTOPIC) from exc
                latency = (time.perf_counter() - started) * 1000
                self.breaker.succeeded()
                return LcmExchange(request, answer, latency, attempt)
            except TimeoutError as exc:
                error: LcmError = LcmTimeout(f"no answer within {self.timeout:g} s")
                error.__cause__ = exc
            except (LcmUnreachable, LcmTimeout) as exc:
                error = exc
            except LcmError as exc:
                # LCM answered, if badly: it is alive.
                self.breaker.succeeded()
                exc.subtopic = request.SUBTOPIC
                exc.latency_ms = (time.perf_counter() - started) * 1000
                exc.outcome_unknown = request.WRITES and isinstance(exc, LcmBadAnswer)
                raise
            if self.breaker.failed():
                trace["opened_circuit"] = True
            log.warning("LCM %s attempt %d failed: %s", request.SUBTOPIC, attempt, error)
        error.subtopic = request.SUBTOPIC
        error.latency_ms = (time.perf_counter() - started) * 1000
        error.outcome_unknown = request.WRITES and error.may_have_arrived
        raise error


_clients: dict[tuple[str, float, str], LcmClient] = {}


def breaker_state() -> dict[str, Any]:
    """The configured LCM's circuit breaker, for the monitor and /healthz."""
    return get_client().breaker.describe()


def get_client() -> LcmClient:
    """The client for the configured LCM_URL (one per configuration, so pools are shared)."""
    key = (settings.LCM_URL, settings.LCM_TIMEOUT_SECONDS, settings.LCM_SOURCE)
    client = _clients.get(key)
    if client is None:
        url, timeout, source = key
        client = _clients[key] = LcmClient(
            transport_for(url, timeout),
            timeout=timeout,
            source=source,
            breaker=CircuitBreaker(
                threshold=settings.LCM_BREAKER_FAILURES, cooldown=settings.LCM_BREAKER_SECONDS
            ),
        )
    return client
