"""The campaign-group directory: one agent's GetCampaignGroups answer lists every member of
their groups, so the worker answers the other agents of those groups from it instead of asking
LCM once per agent (the first connect of the day); what it cannot tell, it asks LCM."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from agentdesk.desk import lookups
from agentdesk.lcm import client as lcm_client
from agentdesk.lcmsim import demo

pytestmark = pytest.mark.django_db(transaction=True)
SALES, SERVICE = "Sales Manual Group", "Service Manual Group"


@pytest.fixture
def group_calls(monkeypatch):
    """The agents each GetCampaignGroups that reached LCM was for."""
    calls: list[str] = []
    original = lcm_client.LcmClient.call

    async def counting(self, request):
        if request.SUBTOPIC == "GetCampaignGroups":
            calls.append(request.user_id)
        return await original(self, request)

    monkeypatch.setattr(lcm_client.LcmClient, "call", counting)
    return calls


def more_agents(count: int, groups: list[str]) -> list[Any]:
    """`count` agents of alice's team, assigned in LCM to `groups` and allowed them."""
    from django.contrib.auth import get_user_model

    from agentdesk.desk.models import AgentProfile

    team = AgentProfile.objects.get(user__username="alice").team
    profiles = []
    for n in range(count):
        user = get_user_model().objects.create(username=f"extra{n}")
        agent_id = f"x{n}@test"
        demo.assign_agents({agent_id: groups})
        profiles.append(
            AgentProfile.objects.create(
                user=user, lcm_agent_id=agent_id, team=team, campaign_groups=groups
            )
        )
    return profiles


async def test_the_other_agents_of_a_group_are_answered_without_asking_lcm(agents, group_calls):
    alice, bob, carol = agents["alice"], agents["bob"], agents["carol"]

    assert (await lookups.group_choices(alice)).names == [SALES, SERVICE]
    assert (await lookups.group_choices(bob)).names == [SALES]
    assert (await lookups.group_choices(carol)).names == [SERVICE]

    assert group_calls == ["a1@test"]  # alice's answer listed bob and carol as members
    campaigns = (await lookups.group_choices(bob)).campaigns
    assert campaigns == ["Spring Renewals", "Win-back West"]


async def test_a_group_that_does_not_list_the_agent_is_not_theirs(agents, group_calls):
    bob = agents["bob"]
    bob.campaign_groups = [SALES, SERVICE]  # allowed both; LCM assigns bob to Sales only
    await sync_to_async(bob.save)()
    await lookups.group_choices(agents["alice"])

    assert (await lookups.group_choices(bob)).names == [SALES]
    assert group_calls == ["a1@test"]


async def test_agents_connecting_at_once_wait_for_one_call(agents, group_calls):
    extra = await sync_to_async(more_agents)(20, [SALES])

    answers = await asyncio.gather(*(lookups.group_choices(p) for p in extra))

    assert {tuple(a.names) for a in answers} == {(SALES,)}
    assert len(group_calls) == 1


async def test_an_agent_the_directory_does_not_list_is_asked_of_lcm(agents, group_calls):
    await lookups.group_choices(agents["alice"])
    (newcomer,) = await sync_to_async(more_agents)(1, [SALES])  # assigned after alice's answer

    assert (await lookups.group_choices(newcomer)).names == [SALES]
    assert group_calls == ["a1@test", "x0@test"]


async def test_an_agent_allowed_every_group_is_asked_of_lcm(agents, group_calls):
    """A profile without groups allows every group LCM assigns: groups the worker has not seen
    may be among them, so only LCM can tell."""
    await lookups.group_choices(agents["alice"])
    bob = agents["bob"]
    bob.campaign_groups = []
    await sync_to_async(bob.save)()

    assert (await lookups.group_choices(bob)).names == [SALES]
    assert group_calls == ["a1@test", "a2@test"]


async def test_saving_a_profile_forgets_its_groups_in_the_directory(agents, group_calls):
    """An administrator who changed an assignment in LCM saves the profile: LCM is asked."""
    await lookups.group_choices(agents["alice"])
    bob = agents["bob"]
    await sync_to_async(bob.save)()

    assert (await lookups.group_choices(bob)).names == [SALES]
    assert group_calls == ["a1@test", "a2@test"]


async def test_the_directory_expires_with_the_groups_cache(agents, group_calls, monkeypatch):
    await lookups.group_choices(agents["alice"])
    lookups._directory.expire(time=lookups._directory.timer() + lookups.GROUPS_CACHE_SECONDS + 1)
    await sync_to_async(lookups.cache.clear)()
    lookups._local.clear()

    assert (await lookups.group_choices(agents["bob"])).names == [SALES]
    assert group_calls == ["a1@test", "a2@test"]
