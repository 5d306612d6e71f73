"""Who a contact may be reserved for (ReservedUsersUID / FollowUpUsersUID): only an agent who
works the campaign's group, and for a lead's CSV import, one on the lead's team. The refusal
reads the same for an unknown name, so a token cannot probe which user names exist."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from agentdesk.desk.models import AgentProfile
from agentdesk.dialler import bulk
from agentdesk.dialler.models import ApiToken, DiallerCampaign, ImportRow
from agentdesk.lcmsim.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def spring(sim_world, agents):
    sim = {c.name: c for c in sim_world}
    campaign = DiallerCampaign.objects.create(
        name="Spring Renewals",
        campaign_group="Sales Manual Group",
        time_zone=sim["Spring Renewals"].time_zone_label,
    )
    # dave works the sales group, but on the Green team.
    dave = get_user_model().objects.create(username="dave")
    AgentProfile.objects.create(
        user=dave,
        lcm_agent_id="a4@test",
        team=agents["carol"].team,
        campaign_groups=["Sales Manual Group"],
    )
    return campaign


def import_as(client, **fields):
    body = {
        "DiallerCampaignsID": fields.pop("campaign"),
        "Name": "Res",
        "PhoneNumber1": "+12025550143",
    }
    body.update(fields)
    return client.post(
        "/api/dialler/contacts/import", data=json.dumps(body), content_type="application/json"
    )


def test_a_limited_token_cannot_push_a_contact_onto_another_groups_agent(spring):
    """The attack: a token limited to Spring Renewals reserved a contact for agent5 (Green
    Team, who does not work that campaign's group)."""
    _, raw = ApiToken.issue("spring only", [spring])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    carol = import_as(client, campaign=spring.pk, ReservedUsersUID="carol")
    by_lcm_id = import_as(client, campaign=spring.pk, ReservedUsersUID="a3@test")
    follow = import_as(client, campaign=spring.pk, FollowUpUsersUID="carol")
    nobody = import_as(client, campaign=spring.pk, ReservedUsersUID="no-such-person")
    for answer, name in (
        (carol, "carol"),
        (by_lcm_id, "a3@test"),
        (follow, "carol"),
        (nobody, "no-such-person"),
    ):
        assert answer.status_code == 400, answer.content
        errors = answer.json()["errors"]
        assert errors[0]["message"] == f"{name!r} is not an agent who works this campaign's group"
    assert not Contact.objects.filter(reserved_for="a3@test").exists()
    # An agent who works the group is still accepted.
    alice = import_as(client, campaign=spring.pk, ReservedUsersUID="alice")
    assert alice.status_code == 200, alice.content
    assert (
        Contact.objects.get(lcm_key=alice.json()["records"][0]["LCMKey"]).reserved_for == "a1@test"
    )


def test_a_leads_import_reserves_only_for_the_leads_team(spring, agents):
    team = agents["alice"].team
    data = (
        "Name,DiallerCampaignsID,PhoneNumber1,ReservedUsersUID\n"
        f"A,{spring.pk},+12025550143,alice\n"
        f"B,{spring.pk},+12025550144,dave\n"
        f"C,{spring.pk},+12025550145,carol\n"
        f"D,{spring.pk},+12025550146,nobody\n"
    ).encode()
    job = bulk.create_preview(
        team, agents["lead"], "r.csv", data, overwrite=True, allowed=bulk.allowed_campaign_ids(team)
    )
    rows = {row.data["Name"]: row for row in ImportRow.objects.filter(job=job)}
    assert rows["A"].status == ImportRow.PENDING
    for name, who in (("B", "dave"), ("C", "carol"), ("D", "nobody")):
        assert rows[name].status == ImportRow.INVALID
        assert (
            f"{who!r} is not an agent who works this campaign's group in this team"
            in rows[name].message
        )
