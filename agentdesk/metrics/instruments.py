"""The counters and histograms agentdesk updates as it works.

They are prometheus_client objects in this process. With `PROMETHEUS_MULTIPROC_DIR` set in
the environment of every worker (and of the job runner), prometheus_client keeps their values
in files in that directory and any one worker's `/metrics` answers the sum over all of them
(see docs/metrics.md)."""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

from agentdesk.lcm.client import CallRecord

# Agent actions take one LCM call plus a few database writes: most end within a second,
# and LCM_TIMEOUT_SECONDS (default 5) bounds the slow ones.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

ACTIONS = Counter(
    "agentdesk_actions",
    "Agent actions (next, reserved, skip, add) by result: ok or why they failed.",
    ["kind", "result"],
)
ACTION_SECONDS = Histogram(
    "agentdesk_action_seconds",
    "How long an agent action took, from taking the agent's turn to its state being saved.",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
LCM_CALLS = Counter(
    "agentdesk_lcm_calls",
    "Calls to LCM by subtopic and result: ok, timeout, unreachable, bad_answer, rejected, "
    "circuit_open (refused by the circuit breaker without trying).",
    ["subtopic", "result"],
)
LCM_CALL_SECONDS = Histogram(
    "agentdesk_lcm_call_seconds",
    "How long a call to LCM took (with its one retry for reads), by subtopic.",
    ["subtopic"],
    buckets=LATENCY_BUCKETS,
)
LCM_CIRCUIT_OPENINGS = Counter(
    "agentdesk_lcm_circuit_openings",
    "Times a worker's circuit breaker opened after LCM kept failing.",
)


def record_lcm_call(record: CallRecord) -> None:
    LCM_CALLS.labels(record.subtopic, record.result).inc()
    LCM_CALL_SECONDS.labels(record.subtopic).observe(record.seconds)
    if record.opened_circuit:
        LCM_CIRCUIT_OPENINGS.inc()


def record_action(kind: str, result: str, seconds: float | None) -> None:
    ACTIONS.labels(kind, result).inc()
    if seconds is not None:
        ACTION_SECONDS.labels(kind).observe(seconds)


async def on_agent_changed(sender: Any, *, event: Any, **kwargs: Any) -> None:
    """The desk's `agent_changed` receiver: count the four actions (not selections or
    connections). Async and without I/O, so it costs the acting request no thread hop."""
    if event.entry is None:
        return
    result = "ok" if event.ok else (event.entry.error_kind or "error")
    record_action(event.kind, result, event.seconds)
