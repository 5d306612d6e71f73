"""Which contact an action about the contact on screen was pressed for.

Skip, Hand back, Confirm and dial, the preview countdown and a team lead's Release each act on
"the contact on screen" — but a page can show an older screen than the one stored: a second
tab moved on, the socket was down, the lead's row had not refreshed. So every such action
carries the LCM key and the session version the page showed (`contact_key`,
`session_version`), and is refused, with the fresh state, when they no longer name the contact
on screen. Any new action about the contact on screen reads its input with `read_shown` and
checks it with `Turn.refuse_unless_shown` (desk/actions/turn.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .contact import contact_of
from .models import AgentSession

CONTACT_KEY = "contact_key"
SESSION_VERSION = "session_version"

CHANGED = gettext_lazy(
    "The contact on your screen changed before your action arrived, so nothing was done. "
    "Check the contact shown now, then act again."
)
CHANGED_FOR_LEAD = gettext_lazy(
    "The contact on %(agent)s's screen changed since your page showed it, so nothing was "
    "released. The row shows what they hold now."
)


@dataclass(frozen=True)
class Shown:
    """The contact a page showed when the action was pressed: its LCM key as shown, and the
    session version of the page's fragments."""

    key: str
    version: int


def read_shown(data: Mapping[str, Any]) -> tuple[Shown | None, str]:
    """The contact an action was pressed for, or None and a message naming the field."""
    key = data.get(CONTACT_KEY)
    version = data.get(SESSION_VERSION)
    if key is None or str(key).strip() == "":
        return None, _(
            "contact_key: missing. The action must name the contact it was pressed for; "
            "reload the page and try again."
        )
    if version is None or str(version).strip() == "":
        return None, _(
            "session_version: missing. The action must say which screen it was pressed on; "
            "reload the page and try again."
        )
    text = str(version).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None, _("session_version: expected a whole number, got %(value)s.") % {
            "value": repr(text[:20])
        }
    # The key as the page got it, uncut: LCM's keys are opaque and may be long (a cut key
    # never matches, and the agent could not act on their contact). The body limit bounds it.
    return Shown(str(key), int(text)), ""


def key_on_screen(session: AgentSession) -> str | None:
    """The LCM key of the contact on screen, as the page shows it; None when there is none."""
    contact = contact_of(session)
    if session.state != AgentSession.PREVIEWING or contact is None:
        return None
    return contact.account_number


def still_on_screen(session: AgentSession, shown: Shown) -> bool:
    """Whether `shown` names the contact on screen in `session`: the same key, on a page that
    showed it since it arrived (a key handed back and fetched again is another holding)."""
    key = key_on_screen(session)
    if key is None or key != shown.key:
        return False
    return session.contact_version <= shown.version <= session.version
