"""An import whose dial window is over (seed 003's own example: dtEndDate 2020-03-01): stored
and sent to LCM with CreateContact Status 4 so it is never dialled; an overwrite moving the end
date into the past ends dialing at once, in LCM too. LCM is the simulator served over HTTP."""

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from agentdesk.desk import actions
from agentdesk.dialler.models import ApiToken, DiallerCampaign, DiallerContact
from agentdesk.lcmsim.models import Contact
from agentdesk.retiredkeys.models import RetiredKey

from .test_dialler_api import SEED_BY_ID

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/dialler/contacts/import?overwriteDuplicates=true"


@pytest.fixture
def crm(agents, lcmsim_server, settings):
    from agentdesk.lcmsim import demo

    demo.seed_outcomes()
    settings.LCM_URL = f"{lcmsim_server.url}/lcm"
    DiallerCampaign.objects.create(
        id=538,
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone="(UTC-05:00) Eastern Time (US and Canada)",
    )
    _, raw = ApiToken.issue("crm")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def seed_example() -> dict[str, Any]:
    """Seed 003's example as written (its 2020 dial window included), with real numbers and
    without the agents agentdesk does not know."""
    body = json.loads(SEED_BY_ID)
    del body["ReservedUsersUID"], body["FollowUpUsersUID"]
    for n in range(1, 7):
        body[f"PhoneNumber{n}"] = f"+1 202 555 01{n:02d}"
    return body


async def next_contact(agents):
    return await actions.next_contact(
        agents["alice"], campaign_group="Sales Manual Group", consent="Both"
    )


async def test_the_seed_example_with_its_2020_window_is_stored_and_never_dialled(crm, agents):
    response = await sync_to_async(post)(crm, seed_example())

    body = response.json()
    assert response.status_code == 200 and body["status"] == 200, body
    record = body["records"][0]
    assert record["dtEndDate"].startswith("2020-03-01") and record["LCMStatus"] == "confirmed"
    assert record["LCMContactStatus"] == 4
    assert "dtEndDate 2020-03-01T00:00:00" in body["message"]
    assert "Status 4 (Delivered), so it is never dialled" in body["message"]
    lcm = await sync_to_async(Contact.objects.get)(lcm_key=record["LCMKey"])
    assert lcm.status == Contact.DELIVERED
    assert lcm.expiry.isoformat().startswith("2020-03-01")

    result = await next_contact(agents)
    assert result.ok and "No contact available" in result.message


async def test_an_overwrite_into_the_past_ends_dialing_in_lcm_too(crm, agents):
    body = {"DiallerCampaignsID": 538, "Name": "Roe", "UserData": "crm-7",
            "PhoneNumber1": "(202) 555-0143", "dtEndDate": "2031-01-01T00:00:00"}  # fmt: skip
    first = (await sync_to_async(post)(crm, body)).json()
    assert first["records"][0]["LCMContactStatus"] == 0 and first["message"] is None

    body["dtEndDate"] = "2020-03-01T00:00:00"  # the CRM ends calling this contact
    answer = (await sync_to_async(post)(crm, body)).json()

    record = answer["records"][0]
    assert answer["status"] == 200 and answer["changedInLCM"] is True, answer
    assert record["ID"] == first["records"][0]["ID"] and record["LCMContactStatus"] == 4
    assert "never dialled" in answer["message"] and "retired" in answer["message"]
    old_key, new_key = first["records"][0]["LCMKey"], record["LCMKey"]
    new = await sync_to_async(Contact.objects.get)(lcm_key=new_key)
    assert new.status == Contact.DELIVERED
    assert await sync_to_async(RetiredKey.objects.filter(lcm_key=old_key).exists)()

    # LCM still has the old contact open; the first fetch closes it unseen, and nobody dials.
    result = await next_contact(agents)
    assert result.ok and "No contact available" in result.message, result.message
    old = await sync_to_async(Contact.objects.get)(lcm_key=old_key)
    assert old.status == Contact.CLOSED and old.outcome_id == 9

    again = (await sync_to_async(post)(crm, body)).json()  # the same again: nothing new in LCM
    assert again["changedInLCM"] is False and again["records"][0]["LCMKey"] == new_key
    assert await sync_to_async(DiallerContact.objects.count)() == 1
