"""The agent page's live fragments, rendered the same way for the page, the views' answers and
the socket pushes (there as hx-swap-oob fragments)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from agentdesk.compliance import rules

from . import details, render_cache, state
from .contact import contact_of
from .forms import AddContactForm
from .lookups import GroupChoices, OutcomeMenu
from .models import AgentSession
from .presenters import contact_card, preview_countdown

LIVE_FRAGMENTS = (
    "desk/_status.html",
    "desk/_controls.html",
    "desk/_contact.html",
    "desk/_log.html",
)


def desk_context(session: AgentSession, menu: OutcomeMenu, groups: GroupChoices) -> dict[str, Any]:
    """Everything the live fragments need (runs queries: call from sync code)."""
    profile = session.agent
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
        "recent": state.recent_actions(profile),
    }


def render_live(
    session: AgentSession,
    menu: OutcomeMenu,
    groups: GroupChoices,
    *,
    message: str = "",
    level: str = "info",
    form: AddContactForm | None = None,
) -> str:
    """All live fragments as out-of-band swaps; the banner and add form only when given."""
    context = {**desk_context(session, menu, groups), "oob": True}
    parts: list[str] = [render_to_string(name, context) for name in LIVE_FRAGMENTS]
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
