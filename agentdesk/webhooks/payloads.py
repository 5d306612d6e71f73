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
    return {"skip": m.CONTACT_SKIPPED, "add": m.CONTACT_ADDED}.get(kind)


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
    return data


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
