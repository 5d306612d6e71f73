"""`manage.py lcm_check`: the read-only calls against a real HTTP LCM, what came back, and
whether agentdesk understood it."""

import io

import pytest
from django.core.management import CommandError, call_command

from agentdesk.lcmsim.models import Contact

from .conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def check(**options) -> tuple[str, str]:
    out = io.StringIO()
    error = ""
    try:
        call_command("lcm_check", stdout=out, **options)
    except CommandError as exc:
        error = str(exc)
    return out.getvalue(), error


def test_every_read_only_call_understood(sim_world, proxy, settings):
    settings.LCM_URL = proxy.url
    proxy.set("pass")
    proxy.answers.clear()
    proxy.received.clear()
    before = Contact.objects.count()

    out, error = check(agent="a1@test")

    assert error == ""
    assert 'GetCampaignGroups {"UserID": "a1@test"} → understood' in out
    assert "2 campaign groups: Sales Manual Group (Active, 2 campaigns)" in out
    assert "5 outcomes: 3 Busy, 4 CallBack, 5 DNC, 8 No Answer, 9 Reject" in out
    assert 'GetOutcomeByOutcomegroup {"Type": "MANUAL"} → understood' in out
    assert "PCB callbacks 0, regular 0, reserved: no" in out
    assert '"subtopic": "SetCampaignGroup"' in out  # what LCM answered, as it came
    assert "5 of 5 answers understood." in out
    assert set(proxy.received) == {
        "GetCampaignGroups",
        "GetCallOutCome",
        "GetOutcomeByOutcomegroup",
        "GetBusinessOutCome",
        "GetAgentCallCount",
    }
    assert Contact.objects.count() == before  # read-only


def test_what_agentdesk_cannot_read_or_lcm_refuses_is_named(sim_world, proxy):
    proxy.set("pass")
    proxy.answers.clear()
    proxy.answer(
        "GetCallOutCome",
        {"channel": "LCM", "subtopic": "CallOutCome", "message": {"response": {"odd": 1}}},
    )
    out, error = check(agent="nobody@test", url=proxy.url)

    assert "GetCallOutCome {} → NOT understood" in out
    assert "response: must be a list of outcomes" in out
    assert 'GetAgentCallCount {"AgentID": "nobody@test"} → understood: LCM refused' in out
    assert "a refusal with the text “Invalid Agent ID.”" in out
    assert "not every call worked" in error


def test_nothing_listening(sim_world):
    out, error = check(agent="a1@test", url=f"http://127.0.0.1:{free_port()}/lcm")
    assert out.count("→ no answer") == 5 and "unreachable" in out and error
