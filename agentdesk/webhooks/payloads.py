"""The JSON of each event. Every event has the same envelope:

    {"id": "<uuid>", "type": "contact.skipped", "created": "<ISO 8601, UTC>",
     "team": {"id": 1, "name": "Blue Team"}, "data": {...}}

Contacts are named by their LCM key and the last four digits of the number, never the whole
number: a CRM that needs more looks the contact up by its key.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from . import models as m


def envelope(
    event_type: str,
    team_id: int,
    team_name: str,
    data: dict[str, Any],
    *,
    event_id: uuid.UUID,
    created: datetime,
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event_type,
        "created": created.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "team": {"id": team_id, "name": team_name},
        "data": data,
    }


def body(payload: dict[str, Any]) -> str:
    """The exact text sent and signed: compact JSON, non-ASCII kept as UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def contact_event_type(kind: str, ok: bool, lcm_key: str) -> str | None:
    """The event an action log entry stands for, or None (failures, empty fetches)."""
    if not ok:
        return None
    if kind in ("next", "reserved"):
        return m.CONTACT_FETCHED if lcm_key else None
    return {
        "skip": m.CONTACT_SKIPPED,
        "add": m.CONTACT_ADDED,
        "callback": m.CALLBACK_BOOKED,
        "reassign_callback": m.CALLBACK_BOOKED,
        "correct": m.CONTACT_CORRECTED,
        "new_number": m.CONTACT_CORRECTED,
    }.get(kind)


def extra_event_types(kind: str, ok: bool, comment: str) -> list[str]:
    """Events an action log entry stands for besides its main one: a comment written with a
    close or a callback is also `contact.commented`."""
    if ok and comment and kind in ("skip", "hand_back", "callback"):
        return [m.CONTACT_COMMENTED]
    return []


def contact_data(entry: Any, username: str) -> dict[str, Any]:
    """`data` of a contact event from an action log entry."""
    data: dict[str, Any] = {
        "action": entry.kind,
        "at": entry.at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "agent": {"lcm_agent_id": entry.agent.lcm_agent_id, "username": username},
        "contact": {
            "lcm_key": entry.lcm_key,
            "campaign": entry.campaign,
            "campaign_group": entry.campaign_group,
            "queue": entry.queue,
            "phone_last4": entry.phone_last4,
        },
    }
    if entry.kind == "skip":
        data["outcome"] = {"id": entry.outcome_id, "name": entry.outcome_name}
    if getattr(entry, "call_id", ""):
        data["call_id"] = entry.call_id
    if getattr(entry, "comment", ""):
        data["comment"] = entry.comment
    if entry.kind in ("correct", "new_number", "callback", "reassign_callback"):
        data["result"] = entry.result
    return data


def callback_data(callback: Any) -> dict[str, Any]:
    """The booked callback of a `callback.booked` event: its window in the contact's zone
    (as LCM was told it) and in UTC."""

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    return {
        "kind": callback.kind,
        "for_agent": callback.agent.lcm_agent_id,
        "time_zone": callback.time_zone,
        "start_local": callback.local_start.replace(tzinfo=None).isoformat(timespec="minutes"),
        "end_local": callback.local_end.replace(tzinfo=None).isoformat(timespec="minutes"),
        "start": utc(callback.starts_at),
        "end": utc(callback.ends_at),
        "mode_id": callback.mode_id,
        "lead_score": callback.lead_score,
        "target_amount": None if callback.target_amount is None else str(callback.target_amount),
    }


def import_data(job: Any, counts: dict[str, int]) -> dict[str, Any]:
    finished = job.finished_at
    return {
        "import": {
            "id": job.pk,
            "file_name": job.file_name,
            "finished_at": (
                finished.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
                if finished
                else None
            ),
            "rows": counts,
        },
        "started_by": job.created_by.get_username(),
    }


def test_data() -> dict[str, Any]:
    return {"message": "A test event from agentdesk: your endpoint receives and verifies events."}
