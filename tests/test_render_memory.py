"""The parts of the agent's live fragments kept rendered in the worker's memory (the recent
log's rows, the outcome options, the controls) show what a fresh render shows: per language,
per menu and campaign groups, per state and choice."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from agentdesk.desk import rendering, state
from agentdesk.desk.lookups import GroupChoices, OutcomeMenu
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcm import messages as m

pytestmark = pytest.mark.django_db

MENU = OutcomeMenu(telephony=(m.Outcome(8, "No answer"),))
GROUPS = GroupChoices(groups=(m.CampaignGroup("Sales Manual Group"),))
CONTACT = {"AccountNumber": "1|1|7|0|0|84|7", "PhoneNumber": "2025550199", "CampaignID": "S"}


def session_of(profile, **fields) -> AgentSession:
    session = state.session_for(profile)
    for name, value in fields.items():
        setattr(session, name, value)
    session.agent = profile
    return session


def fresh(name: str, context: dict[str, object]) -> str:
    """The fragment as rendered without any kept part: the templates inline again."""
    rendering.forget_rendered()
    return render_to_string(name, context)


def test_log_rows_are_kept_per_language(agents):
    alice = agents["alice"]
    state.write_log(alice, ActionLog.NEXT, result="x", lcm_key="", ok=True)
    recent = state.recent_actions(alice)
    english = str(rendering.log_rows(recent))
    with translation.override("de"):
        german = str(rendering.log_rows(recent))
    assert "No contact available" in english
    assert "No contact available" not in german and german != english
    assert str(rendering.log_rows(recent)) == english  # kept, and the same


def test_a_new_entry_shows_in_the_log_at_once(agents):
    alice = agents["alice"]
    session = session_of(alice)
    state.write_log(alice, ActionLog.SKIP, outcome_id=8, outcome_name="No answer", ok=True)
    first = rendering.render_live(session, MENU, GROUPS)
    state.write_log(alice, ActionLog.SKIP, outcome_id=9, outcome_name="Busy", ok=True)
    second = rendering.render_live(session, MENU, GROUPS)
    assert "9 Busy" not in first and "9 Busy" in second and "8 No answer" in second


def test_controls_follow_the_state_and_the_choice(agents):
    alice = agents["alice"]
    idle = session_of(alice, consent="Both")
    context = {**rendering.desk_context(idle, MENU, GROUPS, []), "oob": True}
    kept_idle = rendering.controls(idle, GROUPS, context)
    assert kept_idle == fresh(rendering.CONTROLS, context)
    assert " disabled title" not in kept_idle

    busy = session_of(alice, state=AgentSession.PREVIEWING, consent="Consent")
    context = {**rendering.desk_context(busy, MENU, GROUPS, []), "oob": True}
    kept_busy = rendering.controls(busy, GROUPS, context)
    assert kept_busy == fresh(rendering.CONTROLS, context)
    assert " disabled title" in kept_busy and kept_busy != kept_idle

    other_groups = GroupChoices(groups=(m.CampaignGroup("Service Manual Group"),))
    context = {**rendering.desk_context(idle, MENU, other_groups, []), "oob": True}
    assert "Service Manual Group" in rendering.controls(idle, other_groups, context)


def test_outcome_options_follow_the_menu_and_the_language(agents):
    first = str(rendering.outcome_options(MENU))
    assert "8 No answer" in first
    other = OutcomeMenu(telephony=(m.Outcome(9, "Busy"),))
    assert "9 Busy" in rendering.outcome_options(other)
    with translation.override("de"):
        assert rendering.outcome_options(MENU) != first  # "Choose an outcome…" in German
    card = session_of(agents["alice"], state=AgentSession.PREVIEWING, contact=CONTACT)
    assert first in rendering.render_live(card, MENU, GROUPS)
