"""The first-contact check an operator runs when pointing agentdesk at an LCM: the read-only
calls, each with what came back and whether agentdesk understood it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from . import messages as m
from .client import HttpTransport, LcmClient, get_client
from .envelope import build_request, parse_answer
from .errors import LcmError, LcmRejected, MessageError

UNDERSTOOD = "understood"
REFUSED = "understood: LCM refused"
NOT_UNDERSTOOD = "NOT understood"
NO_ANSWER = "no answer"


@dataclass(frozen=True)
class CheckResult:
    subtopic: str
    sent: dict[str, Any]
    verdict: str
    answer: str  # the body as it came back (shortened)
    meaning: str  # what agentdesk read, or why it could not
    latency_ms: float

    @property
    def ok(self) -> bool:
        return self.verdict == UNDERSTOOD


def read_only_calls(agent_id: str) -> list[m.LcmRequest[Any]]:
    return [
        m.GetCampaignGroups(agent_id),
        m.GetCallOutCome(),
        m.GetOutcomeByOutcomegroup("MANUAL"),
        m.GetBusinessOutCome(),
        m.GetAgentCallCount(agent_id),
    ]


def _meaning(answer: object) -> str:
    if isinstance(answer, m.CampaignGroupsAnswer):
        groups = ", ".join(
            f"{g.name} ({g.status or '?'}, {len(g.campaigns)} campaigns)" for g in answer.groups
        )
        return f"{len(answer.groups)} campaign groups: {groups or 'none'}"
    if isinstance(answer, m.OutcomeList):
        names = ", ".join(f"{o.id} {o.name}" for o in answer.outcomes[:12])
        more = " …" if len(answer.outcomes) > 12 else ""
        return f"{len(answer.outcomes)} outcomes: {names or 'none'}{more}"
    if isinstance(answer, m.AgentCallCountAnswer):
        return (
            f"PCB callbacks {answer.pcb_count}, regular {answer.regular_count}, "
            f"reserved: {'yes' if answer.is_agent_reserved else 'no'}"
        )
    return repr(answer)


def _refusal(error: LcmRejected) -> str:
    return f"a refusal with the text “{error.lcm_text}”" if error.lcm_text else "a bare refusal"


def _shorten(body: bytes, limit: int = 600) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


async def check_one(client: LcmClient, request: m.LcmRequest[Any]) -> CheckResult:
    data = request.to_data(settings.LCM_REQUEST_STYLE)
    envelope = build_request(request.SUBTOPIC, data, client.source)
    started = time.perf_counter()
    try:
        body = await client.transport.exchange(envelope)
    except LcmError as exc:
        latency = (time.perf_counter() - started) * 1000
        if isinstance(exc, LcmRejected):
            return CheckResult(request.SUBTOPIC, data, REFUSED, "", _refusal(exc), latency)
        return CheckResult(request.SUBTOPIC, data, NO_ANSWER, "", exc.describe(), latency)
    latency = (time.perf_counter() - started) * 1000
    try:
        answer = request.read_answer(parse_answer(body, request.ANSWERS, request=request.SUBTOPIC))
    except LcmRejected as exc:
        return CheckResult(request.SUBTOPIC, data, REFUSED, _shorten(body), _refusal(exc), latency)
    except (LcmError, MessageError) as exc:
        reason = exc.detail if isinstance(exc, LcmError) else str(exc)
        return CheckResult(request.SUBTOPIC, data, NOT_UNDERSTOOD, _shorten(body), reason, latency)
    return CheckResult(
        request.SUBTOPIC, data, UNDERSTOOD, _shorten(body), _meaning(answer), latency
    )


async def run_check(agent_id: str, url: str = "") -> list[CheckResult]:
    """Every read-only call once, against `url` (default: the configured LCM_URL)."""
    client = get_client()
    if url:
        client = LcmClient(
            HttpTransport(url, settings.LCM_TIMEOUT_SECONDS),
            timeout=settings.LCM_TIMEOUT_SECONDS,
            source=settings.LCM_SOURCE,
        )
    return [await check_one(client, request) for request in read_only_calls(agent_id)]


def report_lines(results: list[CheckResult]) -> list[str]:
    lines = []
    for result in results:
        lines.append(
            f"{result.subtopic} {json.dumps(result.sent)} → {result.verdict} "
            f"({result.latency_ms:.0f} ms)"
        )
        if result.answer:
            lines.append(f"  LCM answered: {result.answer}")
        lines.append(f"  agentdesk read: {result.meaning}")
    understood = sum(result.verdict in (UNDERSTOOD, REFUSED) for result in results)
    refused = sum(result.verdict == REFUSED for result in results)
    lines.append(
        f"{understood} of {len(results)} answers understood"
        + (f"; LCM refused {refused} of the calls." if refused else ".")
    )
    return lines
