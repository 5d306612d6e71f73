"""The agent page's live fragments, rendered the same way for the page, the views' answers and
the socket pushes (there as hx-swap-oob fragments).

Two parts of them change far less often than the fragments are rendered (twice an action) and
are kept in this worker's memory as HTML: each row of the recent log (a log entry is never
changed once written: keyed by its id, the language and the time zone) and the outcome menu's
options (keyed by the menu object, which the lookups cache shares, and the language). Together
they were most of the template work of an action (docs/benchmarks.md, "Action cost")."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cachetools import LRUCache
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from agentdesk.compliance import rules

from . import details, render_cache, state
from .contact import contact_of
from .forms import AddContactForm
from .lookups import GroupChoices, OutcomeMenu
from .models import ActionLog, AgentSession
from .presenters import contact_card, preview_countdown

CONTROLS = "desk/_controls.html"
LIVE_FRAGMENTS = (
    "desk/_status.html",
    CONTROLS,
    "desk/_contact.html",
    "desk/_log.html",
)


def desk_context(
    session: AgentSession,
    menu: OutcomeMenu,
    groups: GroupChoices,
    recent: Sequence[ActionLog] | None = None,
) -> dict[str, Any]:
    """Everything the live fragments need (runs queries: call from sync code); `recent`, the
    agent's recent log when the caller read it already."""
    profile = session.agent
    if recent is None:
        recent = state.recent_actions(profile)
    card = None
    hand_back = None
    contact = contact_of(session)
    if contact is not None:
        limit = rules.preview_limit_for(session.campaign_group)
        card = contact_card(
            contact,
            preview=preview_countdown(limit, session.state_since, timezone.now()),
        )
        if card is not None and card.verdict.needs_confirmation:
            card = replace(card, confirmed_at=state.dial_confirmed_at(session))
        if card is not None and card.verdict.hand_back_outcome is not None:
            hand_back = menu.ids.get(card.verdict.hand_back_outcome)
    return {
        "session": session,
        "profile": profile,
        "card": card,
        "hand_back_outcome": hand_back,
        "pending_skip": state.pending_skip(session),
        "contact_name": details.cached_name(session.call_id) if card else "",
        "menu": menu,
        "groups": groups,
        "consent_choices": AgentSession.CONSENT_CHOICES,
        "recent": recent,
        "recent_rows": log_rows(recent),
        "outcome_options": outcome_options(menu) if card else "",
    }


_rows: LRUCache[tuple[int, Any, str, str], SafeString] = LRUCache(maxsize=50_000)
_options: LRUCache[tuple[int, str], tuple[OutcomeMenu, SafeString]] = LRUCache(maxsize=16)
_controls: LRUCache[tuple[Any, ...], tuple[GroupChoices, SafeString]] = LRUCache(maxsize=1_000)
_memory_lock = threading.Lock()  # the worker threads of one process render at once


def forget_rendered() -> None:
    """Drop this worker's rendered rows and menus (tests start each with a fresh database)."""
    with _memory_lock:
        _rows.clear()
        _options.clear()
        _controls.clear()


def log_rows(recent: Sequence[ActionLog]) -> SafeString:
    """The recent log's table rows, each rendered once per language and time zone."""
    language = translation.get_language() or ""
    zone = timezone.get_current_timezone_name()
    rows = []
    for entry in recent:
        key = (entry.pk, entry.at, language, zone)
        with _memory_lock:
            row = _rows.get(key)
        if row is None:
            row = SafeString(get_template("desk/_log_row.html").render({"entry": entry}))
            with _memory_lock:
                _rows[key] = row
        rows.append((row,))
    return format_html_join("", "{}", rows)


def outcome_options(menu: OutcomeMenu) -> SafeString:
    """The outcome menu's <option>s, rendered once per menu and language."""
    key = (id(menu), translation.get_language() or "")
    with _memory_lock:
        stored = _options.get(key)
    if stored is not None and stored[0] is menu:
        return stored[1]
    html = SafeString(get_template("desk/_outcome_options.html").render({"menu": menu}))
    with _memory_lock:
        _options[key] = (menu, html)  # the menu is held, so its id is not reused meanwhile
    return html


def controls(session: AgentSession, groups: GroupChoices, context: dict[str, Any]) -> str:
    """The live controls fragment: the same for every agent with the same campaign groups,
    choices and state, so rendered once per those and the language."""
    key = (
        id(groups),
        session.campaign_group,
        session.consent,
        session.state,
        translation.get_language() or "",
    )
    with _memory_lock:
        stored = _controls.get(key)
    if stored is not None and stored[0] is groups:
        return stored[1]
    html = SafeString(render_to_string(CONTROLS, context))
    with _memory_lock:
        _controls[key] = (groups, html)  # the groups are held, so their id is not reused
    return html


def render_live(
    session: AgentSession,
    menu: OutcomeMenu,
    groups: GroupChoices,
    *,
    message: str = "",
    level: str = "info",
    form: AddContactForm | None = None,
    recent: Sequence[ActionLog] | None = None,
) -> str:
    """All live fragments as out-of-band swaps; the banner and add form only when given."""
    context = {**desk_context(session, menu, groups, recent), "oob": True}
    parts: list[str] = [
        controls(session, groups, context) if name == CONTROLS else render_to_string(name, context)
        for name in LIVE_FRAGMENTS
    ]
    if message:
        parts.append(render_banner(message, level))
    if form is not None:
        parts.append(render_to_string("desk/_add.html", {**context, "form": form}))
    return "\n".join(parts)


def render_live_stored(session: AgentSession, menu: OutcomeMenu, groups: GroupChoices) -> str:
    """`render_live` without a banner or form, from the render cache when the session's
    fragments are stored there (desk/render_cache.py), else rendered and stored."""
    html = render_cache.get(session, menu, groups)
    if html is None:
        html = render_live(session, menu, groups)
        render_cache.put(session, menu, groups, html)
    return html


def render_banner(message: str, level: str) -> str:
    return render_to_string("desk/_banner.html", {"message": message, "level": level, "oob": True})
