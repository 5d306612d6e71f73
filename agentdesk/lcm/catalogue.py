"""Every LCM request type agentdesk speaks, found by the subtopic it is sent as.

The messages of dialling (messages.py) and of the whole call (wrapup.py) are listed here,
above both modules, so the simulator can answer any of them and neither module imports the
other's registry.
"""

from __future__ import annotations

from typing import Any

from .messages import DIALLING_REQUEST_TYPES, LcmRequest
from .wrapup import WRAPUP_REQUEST_TYPES

REQUEST_TYPES: tuple[type[LcmRequest[Any]], ...] = (
    *DIALLING_REQUEST_TYPES,
    *WRAPUP_REQUEST_TYPES,
)

REQUESTS_BY_SUBTOPIC: dict[str, type[LcmRequest[Any]]] = {
    name.lower(): request_type
    for request_type in REQUEST_TYPES
    for name in (request_type.SUBTOPIC, *request_type.ALIASES)
}


def request_type_for(subtopic: str) -> type[LcmRequest[Any]] | None:
    """The request type sent as `subtopic` (its name or an alias, any case, spaces ignored)."""
    return REQUESTS_BY_SUBTOPIC.get(subtopic.strip().lower())
