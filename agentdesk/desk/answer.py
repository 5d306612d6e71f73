"""The acting tab's answer to an action, built one way for the POST views and the socket: the
agent's live fragments (as the action's push carried them), the banner, and the Add form when
the action shows it again.

The fragments are rendered once per action: `context_for` gives the action a renderer that the
turn calls in the worker-thread trip that saves the result (desk/actions/turn.py); the push to
the agent's other tabs and this answer share what it rendered.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string

from agentdesk.shared.asyncdb import db_async

from . import events, state
from .actions import ActionContext, AddForm, Outcome
from .forms import AddContactForm
from .lookups import GroupChoices, OutcomeMenu
from .models import ActionLog, AgentProfile, AgentSession
from .rendering import render_banner, render_live


class Fragments:
    """The renderer an action's turn calls from its worker thread; it keeps what it rendered
    for the answer."""

    def __init__(self) -> None:
        self._rendered: tuple[int, int, str] | None = None  # session pk, version, fragments

    def __call__(
        self,
        session: AgentSession,
        menu: OutcomeMenu,
        groups: GroupChoices,
        recent: Sequence[ActionLog] | None = None,
    ) -> str | None:
        html = events.render_now(session, menu, groups, recent)
        if html is not None:
            self._rendered = (session.pk, session.version, html)
        return html

    def rendered_for(self, session: AgentSession) -> str | None:
        """The fragments this renderer made for `session` as stored, if it did."""
        if self._rendered is None:
            return None
        pk, version, html = self._rendered
        return html if (pk, version) == (session.pk, session.version) else None


def new_action_id() -> str:
    return uuid.uuid4().hex[:16]


def context_for(profile: AgentProfile, *, action_id: str = "") -> ActionContext:
    """The context an action of `profile` runs with, with a renderer whose fragments its
    answer reuses."""
    return ActionContext(profile, render=Fragments(), action_id=action_id)


@dataclass(frozen=True)
class Answer:
    html: str
    version: int | None = None  # the session version the answer shows, if it shows the state
    carries_push: str = ""  # the action whose push the answer already holds ("" none)


async def add_form_shown(
    outcome: Outcome, form: AddContactForm | None, context: ActionContext
) -> AddContactForm | None:
    """The Add form as the outcome says to show it again: as typed, asking for confirmation,
    or fresh (keeping the campaign)."""
    if form is None or outcome.add_form is None:
        return None
    if outcome.add_form is AddForm.FRESH:
        return form.fresh_copy((await context.groups()).campaigns)
    form.needs_confirmation = outcome.add_form is AddForm.CONFIRM
    return form


def _oob_form(form: AddContactForm) -> str:
    return render_to_string("desk/_add.html", {"form": form, "oob": True})


async def build(
    outcome: Outcome,
    context: ActionContext,
    *,
    add_form: AddContactForm | None = None,
    with_state: bool = False,
) -> Answer:
    """The answer to `outcome`. The fragments the action published when it did (the answer
    then holds the action's push); else, when there is a session to show (or `with_state`:
    the socket always shows the state), the fragments rendered now; else the banner alone.
    The banner and the Add form are added when there is something to say or show."""
    form = await add_form_shown(outcome, add_form, context)
    session = outcome.session
    fragments = context.render if isinstance(context.render, Fragments) else None
    published = fragments.rendered_for(session) if fragments and session else None
    if published is not None and session is not None:
        parts = [published]
        if outcome.message:
            parts.append(render_banner(outcome.message, outcome.level))
        if form is not None:
            parts.append(_oob_form(form))
        return Answer("\n".join(parts), session.version, context.action_id)
    if session is None and with_state:
        session = await db_async(state.session_for)(context.profile)
    if session is not None:
        session.agent = context.profile
        menu, groups = await context.lookups()  # the action's own, when it read them
        html = await db_async(render_live)(
            session,
            menu,
            groups,
            message=outcome.message,
            level=outcome.level,
            form=form,
        )
        return Answer(html, session.version)
    parts = [render_banner(outcome.message, outcome.level)]
    if form is not None:
        parts.append(_oob_form(form))
    return Answer("\n".join(parts))
