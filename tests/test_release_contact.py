"""Team leads release a contact an agent holds, from the monitor, with an outcome: logged, and
the agent's pages update live."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient, Client

from agentdesk.compliance.models import DoNotCallEntry
from agentdesk.desk import actions
from agentdesk.desk.consumers import AgentConsumer
from agentdesk.desk.models import ActionLog, AgentSession
from agentdesk.lcmsim.models import Contact

from .helpers import add_contact, log_into, shown_fields

pytestmark = pytest.mark.django_db(transaction=True)


async def hold_a_contact(agents, phone="2025550131") -> str:
    key = await sync_to_async(add_contact)(phone=phone)
    result = await actions.next_contact(
        agents["alice"], campaign_group="Sales Manual Group", consent="Both"
    )
    assert result.ok
    return key


async def test_lead_releases_and_the_agents_page_updates_live(agents):
    key = await hold_a_contact(agents)
    tab = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/desk/")
    await log_into(tab, agents["alice"].user)
    assert (await tab.connect())[0]
    assert "2025550131" in await tab.receive_from(timeout=5)  # the resync: contact on screen

    lead = AsyncClient()
    await sync_to_async(lead.force_login)(agents["lead"])
    team_id = agents["alice"].team_id
    url = f"/monitor/{team_id}/agents/{agents['alice'].pk}/release"
    shown = await sync_to_async(shown_fields)(agents["alice"])
    response = await lead.post(url, {"outcome": "8", **shown}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Released alice&#x27;s contact with outcome 8 No Answer." in response.content.decode()

    push = await tab.receive_from(timeout=5)
    assert "Your team lead lena released your contact with outcome 8 No Answer." in push
    assert "No contact on screen" in push
    await tab.disconnect()

    stored = await Contact.objects.aget(lcm_key=key)
    assert stored.outcome_id == 8 and stored.closed_by == "a1@test"
    session = await AgentSession.objects.aget(agent=agents["alice"])
    assert session.state == AgentSession.IDLE
    entry = await ActionLog.objects.aget(kind=ActionLog.RELEASE)
    assert entry.agent_id == agents["alice"].pk and entry.actor == "lena"
    assert entry.result == "Released by lena with 8 No Answer"


def test_the_monitor_offers_release_for_a_held_contact(agents):
    from asgiref.sync import async_to_sync

    async_to_sync(hold_a_contact)(agents)
    lead = Client()
    lead.force_login(agents["lead"])
    html = lead.get(f"/monitor/{agents['alice'].team_id}/").content.decode()
    assert f"/agents/{agents['alice'].pk}/release" in html
    assert f"/agents/{agents['bob'].pk}/release" not in html  # bob holds nothing


def test_only_leads_of_the_agents_team_may_release(agents, django_user_model):
    from asgiref.sync import async_to_sync

    key = async_to_sync(hold_a_contact)(agents)
    team_id = agents["alice"].team_id
    url = f"/monitor/{team_id}/agents/{agents['alice'].pk}/release"
    assert Client().post(url, {"outcome": "8"}).status_code == 401
    bob = Client()
    bob.force_login(agents["bob"].user)
    assert bob.post(url, {"outcome": "8"}).status_code == 404
    other_lead = django_user_model.objects.create(username="olga")
    agents["carol"].team.leads.add(other_lead)
    olga = Client()
    olga.force_login(other_lead)
    assert olga.post(url, {"outcome": "8"}).status_code == 404
    # Olga leads Green: naming her own team does not reach Blue's agent either.
    carol_team = agents["carol"].team_id
    cross = f"/monitor/{carol_team}/agents/{agents['alice'].pk}/release"
    assert olga.post(cross, {"outcome": "8"}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agents["lead"])
    assert strict.post(url, {"outcome": "8"}).status_code == 403
    assert Contact.objects.get(lcm_key=key).outcome_id is None
    assert not ActionLog.objects.filter(kind=ActionLog.RELEASE).exists()


def test_release_needs_an_outcome_and_a_held_contact(agents):
    lead = Client()
    lead.force_login(agents["lead"])
    url = f"/monitor/{agents['alice'].team_id}/agents/{agents['alice'].pk}/release"
    unnamed = lead.post(url, {"outcome": "8"}).content.decode()
    assert "contact_key: missing." in unnamed
    stale = {"contact_key": "Spring Renewals|1", "session_version": "0"}
    nothing = lead.post(url, {"outcome": "8", **stale}).content.decode()
    assert "The contact on alice&#x27;s screen changed since your page showed it" in nothing
    assert "banner-success" not in nothing
    assert not ActionLog.objects.filter(kind=ActionLog.RELEASE).exists()
    from asgiref.sync import async_to_sync

    key = async_to_sync(hold_a_contact)(agents)
    refused = lead.post(url, {"outcome": "999", **shown_fields(agents["alice"])}).content.decode()
    assert "Choose an outcome from the list to release with; &#x27;999&#x27; is not one." in refused
    assert "administrator" not in refused  # not the message for a misconfigured policy
    empty = lead.post(url, {"outcome": "", **shown_fields(agents["alice"])}).content.decode()
    assert "Choose an outcome from the list to release with" in empty
    assert Contact.objects.get(lcm_key=key).outcome_id is None


def test_release_with_dnc_lists_the_number_as_the_lead(agents):
    from asgiref.sync import async_to_sync

    async_to_sync(hold_a_contact)(agents, phone="2025550139")
    lead = Client()
    lead.force_login(agents["lead"])
    url = f"/monitor/{agents['alice'].team_id}/agents/{agents['alice'].pk}/release"
    lead.post(url, {"outcome": "5", **shown_fields(agents["alice"])})
    entry = DoNotCallEntry.objects.get()
    assert (entry.number, entry.added_by) == ("+12025550139", "lena")
