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
CALLBACKS_BOOKED = Counter(
    "agentdesk_callbacks_booked",
    "Callbacks LCM confirmed, by kind: regular, personal, or reassigned (a lead moved a "
    "personal callback to another agent).",
    ["kind"],
)
COMMENTS = Counter(
    "agentdesk_comments",
    "Comments agents wrote on a call, by the action that carried them (skip, callback).",
    ["kind"],
)
CONTACT_CORRECTIONS = Counter(
    "agentdesk_contact_corrections",
    "Corrections of a contact LCM confirmed, by what changed: fields or number.",
    ["what"],
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
    if event.ok:
        record_wrapup(event.kind, event.entry)


def record_wrapup(kind: str, entry: Any) -> None:
    """The wrap-up counters for one successful action log entry."""
    if kind == "callback":
        personal = entry.result.startswith("Personal")
        CALLBACKS_BOOKED.labels("personal" if personal else "regular").inc()
    elif kind == "reassign_callback":
        CALLBACKS_BOOKED.labels("reassigned").inc()
    elif kind in ("correct", "new_number"):
        CONTACT_CORRECTIONS.labels("fields" if kind == "correct" else "number").inc()
    if getattr(entry, "comment", "") and kind in ("skip", "hand_back", "callback"):
        COMMENTS.labels(kind).inc()
