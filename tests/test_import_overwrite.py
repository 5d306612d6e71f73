"""An overwrite that changes what LCM holds: a new LCM contact, the old key retired, and the
desk closing the old one unseen if LCM hands it out. LCM is the simulator served over HTTP."""

import json

import pytest
from django.test import Client

from agentdesk.desk import actions
from agentdesk.dialler.models import ApiToken, DiallerCampaign
from agentdesk.lcmsim.models import Contact
from agentdesk.retiredkeys.models import RetiredKey

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/dialler/contacts/import?overwriteDuplicates=true"


@pytest.fixture
def over_http(agents, lcmsim_server, settings):
    from agentdesk.lcmsim import demo

    demo.seed_outcomes()
    settings.LCM_URL = f"{lcmsim_server.url}/lcm"
    DiallerCampaign.objects.create(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )
    _, raw = ApiToken.issue("crm")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


async def test_a_changed_number_reaches_lcm_and_the_old_one_is_never_dialled(over_http, agents):
    from asgiref.sync import sync_to_async

    body = {
        "DiallerCampaignsName": "Spring Renewals",
        "Name": "Roe",
        "UserData": "crm-1",
        "PhoneNumber1": "(202) 555-0143",
    }
    first = (await sync_to_async(post)(over_http, body)).json()["records"][0]
    body["PhoneNumber1"] = "202-555-0199"
    answer = (await sync_to_async(post)(over_http, body)).json()
    second = answer["records"][0]
    assert answer["changedInLCM"] is True and second["ID"] == first["ID"]
    assert second["PhoneNumber1"] == "+12025550199" and second["LCMKey"] != first["LCMKey"]

    def lcm_state():
        old = Contact.objects.get(lcm_key=first["LCMKey"])
        new = Contact.objects.get(lcm_key=second["LCMKey"])
        return old, new, [m.number for m in new.modes.all()]

    old, new, numbers = await sync_to_async(lcm_state)()
    assert numbers == ["+12025550199"] and new.status == Contact.OPEN
    assert await sync_to_async(RetiredKey.objects.filter(lcm_key=first["LCMKey"]).exists)()

    # LCM hands out the old contact first (it is older); the agent only ever sees the new one.
    result = await actions.next_contact(
        agents["alice"], campaign_group="Sales Manual Group", consent="Both"
    )
    assert result.ok and "(202) 555-0199" in result.message  # as the card shows it
    old, new, _ = await sync_to_async(lcm_state)()
    assert old.status == Contact.CLOSED and old.outcome_id == 9
    assert new.status == Contact.IN_PROGRESS and new.held_by == agents["alice"].lcm_agent_id
    retired = await sync_to_async(RetiredKey.objects.get)(lcm_key=first["LCMKey"])
    assert retired.closed_at is not None
