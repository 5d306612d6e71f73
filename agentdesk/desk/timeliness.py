"""An action is carried out only while the page still waits for it.

The agent's page stops waiting for an action's answer after a while, or as soon as it sees its
live connection die (the browser's `offline` event, or no answer to its own ping), and then
tells the agent so. A frame or POST that was held up (a dead network, a socket the browser
buffered) must not be carried out after that: it would do what the page has told the agent is
not happening. So the page sends with every action

- `deadline`: the moment, in the server's clock (ms since the epoch; the page learns the
  offset from the server's clock marks), after which it no longer waits for the action;
- `connection` (socket frames only): the id of the live connection it was pressed on.

An action arriving after its deadline, or on another connection than the one it was pressed
on (a frame queued while the socket was down and sent after the reconnect), is refused and
said so. Requests without them (hand-made, scripts) are taken as they are.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext as _

DEADLINE = "deadline"
CONNECTION = "connection"
PING = "ping"


def now_ms() -> int:
    return int(time.time() * 1000)


def new_connection_id() -> str:
    return secrets.token_urlsafe(9)


def clock_mark(connection_id: str) -> str:
    """The server's clock and the connection's id, for the page (sent on connect)."""
    connection = escape(connection_id)
    return (
        f'<div id="socket-clock" hidden hx-swap-oob="true" data-connection="{connection}"'
        f' data-server-ms="{now_ms()}"></div>'
    )


def pong(ping: str) -> str:
    """The answer to the page's ping: the connection is alive, and the server's clock."""
    seq = ping if ping.isascii() and ping.isalnum() and len(ping) <= 20 else ""
    return f'<div id="socket-pong" hidden data-ping="{seq}" data-server-ms="{now_ms()}"></div>'


def refusal(data: Mapping[str, Any], connection_id: str = "") -> str:
    """Why the action in `data` must not be carried out now ("" when it may): it arrived after
    the page stopped waiting for it, or it was pressed on another connection."""
    raw = data.get(DEADLINE)
    if raw is not None and str(raw).strip() != "":
        text = str(raw).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 15:
            return _("deadline: expected the time in milliseconds since 1970, got %(value)s.") % {
                "value": repr(text[:20])
            }
        late = now_ms() - int(text)
        if late > 0:
            return _(
                "Your action reached agentdesk %(seconds).1f s after your page had stopped "
                "waiting for it, so it was not carried out. Check the screen, then press again "
                "if it is still needed."
            ) % {"seconds": late / 1000}
    pressed_on = data.get(CONNECTION)
    if connection_id and pressed_on and str(pressed_on) != connection_id:
        return _(
            "Your action was pressed before the live connection dropped and arrived only after "
            "it came back, so it was not carried out. Check the screen, then press again if "
            "it is still needed."
        )
    return ""
