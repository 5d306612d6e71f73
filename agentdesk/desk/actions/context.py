"""What an action reads once, before it starts, and what it gives back: the context (who acts,
LCM's outcome menu, the agent's campaign groups, how the agent's fragments are rendered) and
the outcome (what happened, as data: no HTML, no forms; desk/answer.py shows it)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..lookups import GroupChoices, OutcomeMenu, group_choices, outcome_menu
from ..models import ActionLog, AgentProfile, AgentSession

# The agent's live fragments for a session as stored (with the agent's recent log when the save
# read it), from the worker thread that saved it; None when rendering failed (the saved change
# stands). Handed in by the answer layer, so the save, the log entry and the render share one
# trip to a worker thread.
Render = Callable[[AgentSession, OutcomeMenu, GroupChoices, Sequence[ActionLog] | None], str | None]


class ActionContext:
    """Passed to an action and to its answer: who acts, the reference data (LCM's outcome menu
    and the agent's campaign groups, each read at most once per action, when first needed),
    the renderer and the id the action's push carries. The pages' actions get theirs from
    `desk.answer.context_for`; a bare one (no renderer) makes the push render in a trip of its
    own."""

    def __init__(
        self, profile: AgentProfile, *, render: Render | None = None, action_id: str = ""
    ) -> None:
        self.profile = profile
        self.render = render  # None: the push renders on its own (a trip of its own)
        self.action_id = action_id  # named by the action's push, so its tab can skip it
        self._menu: OutcomeMenu | None = None
        self._groups: GroupChoices | None = None

    async def menu(self) -> OutcomeMenu:
        if self._menu is None:
            self._menu = await outcome_menu()
        return self._menu

    async def groups(self) -> GroupChoices:
        if self._groups is None:
            self._groups = await group_choices(self.profile)
        return self._groups

    async def lookups(self) -> tuple[OutcomeMenu, GroupChoices]:
        """Both, for rendering the agent's fragments."""
        return await self.menu(), await self.groups()


def context_for(profile: AgentProfile, context: ActionContext | None) -> ActionContext:
    """`context`, or a bare one for a caller that brought none (a script, a test)."""
    return context if context is not None else ActionContext(profile)


class AddForm(enum.Enum):
    """How the Add form is shown again after an Add."""

    AS_TYPED = "as typed"  # it failed: the entries are kept
    CONFIRM = "confirm"  # as typed, asking the agent to check LCM and tick "Add anyway"
    FRESH = "fresh"  # done: an empty form, keeping the campaign


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What an action did."""

    ok: bool
    message: str = ""
    level: str = "info"  # info, success, warning, error
    session: AgentSession | None = None  # as stored after the action; None: not read
    entry: ActionLog | None = None  # the log entry written, if any
    lcm_key: str = ""  # an added contact's LCM key
    dial_href: str = ""  # a confirmed dial: the tel: link the acting page opens
    add_form: AddForm | None = None  # an Add: how its form is shown again
