"""Reference data (outcomes, an agent's campaign groups): read from LCM once, then served from
the worker's memory; a profile edit takes effect at once; one Redis connection pool per
worker for the shared cache."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from asgiref.sync import sync_to_async

from agentdesk.desk import lookups
from agentdesk.lcm import client as lcm_client
from agentdesk.serving.rediscache import SharedPoolRedisCache

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def lcm_calls(monkeypatch):
    """The subtopics of every call that reaches LCM."""
    calls: list[str] = []
    original = lcm_client.LcmClient.call

    async def counting(self, request):
        calls.append(request.SUBTOPIC)
        return await original(self, request)

    monkeypatch.setattr(lcm_client.LcmClient, "call", counting)
    return calls


async def test_reference_data_is_asked_of_lcm_once(agents, lcm_calls):
    alice = agents["alice"]
    for _ in range(5):
        menu = await lookups.outcome_menu()
        groups = await lookups.group_choices(alice)
    assert menu.ids and 8 in menu.ids
    assert groups.names == ["Sales Manual Group", "Service Manual Group"]
    assert sorted(lcm_calls) == ["GetCallOutCome", "GetCampaignGroups", "GetOutcomeByOutcomegroup"]


async def test_worker_memory_serves_without_the_shared_cache(agents, lcm_calls, monkeypatch):
    alice = agents["alice"]
    await lookups.group_choices(alice)
    await lookups.outcome_menu()

    async def no_cache(*args, **kwargs):
        raise AssertionError("the shared cache was asked")

    monkeypatch.setattr(lookups.cache, "aget", no_cache)
    assert (await lookups.group_choices(alice)).names
    assert (await lookups.outcome_menu()).ids


async def test_a_fresh_worker_reads_the_shared_cache_not_lcm(agents, lcm_calls):
    alice = agents["alice"]
    await lookups.group_choices(alice)
    lookups.forget_all()  # a new worker process after a deploy: empty memory
    again = await lookups.group_choices(alice)
    assert again.names == ["Sales Manual Group", "Service Manual Group"]
    assert lcm_calls.count("GetCampaignGroups") == 1


async def test_a_connects_database_trip_brings_the_shared_cache_into_memory(
    agents, lcm_calls, monkeypatch
):
    """After a deploy a page's connect reads the agent's reference data from the shared cache
    in the trip that reads the agent profile, so the resync needs no trip of its own."""
    alice = agents["alice"]
    await lookups.group_choices(alice)
    await lookups.outcome_menu()
    lookups.forget_all()  # a fresh worker
    await sync_to_async(lookups.keep_in_memory, thread_sensitive=False)(alice)

    async def no_cache(*args, **kwargs):
        raise AssertionError("the shared cache was asked")

    monkeypatch.setattr(lookups.cache, "aget", no_cache)
    assert (await lookups.group_choices(alice)).names == [
        "Sales Manual Group",
        "Service Manual Group",
    ]
    assert (await lookups.outcome_menu()).ids
    assert sorted(lcm_calls) == ["GetCallOutCome", "GetCampaignGroups", "GetOutcomeByOutcomegroup"]


async def test_editing_a_profile_narrows_the_groups_at_once(agents, lcm_calls):
    alice = agents["alice"]
    assert len((await lookups.group_choices(alice)).names) == 2

    def narrow():
        alice.campaign_groups = ["Service Manual Group"]
        alice.save()

    await sync_to_async(narrow)()
    assert (await lookups.group_choices(alice)).names == ["Service Manual Group"]


async def test_saving_a_profile_drops_its_cached_groups_everywhere(agents, lcm_calls):
    """Same allowed groups, but LCM's assignment changed: saving the profile refreshes it."""
    from agentdesk.lcmsim.models import CampaignGroup, SimAgent

    def unassign_service():
        agent = SimAgent.objects.get(agent_id="a1@test")
        CampaignGroup.objects.get(name="Service Manual Group").agents.remove(agent)

    alice = agents["alice"]
    await lookups.group_choices(alice)
    await sync_to_async(unassign_service)()
    assert len((await lookups.group_choices(alice)).names) == 2  # cached: not asked again
    await sync_to_async(alice.save)()
    assert (await lookups.group_choices(alice)).names == ["Sales Manual Group"]
    assert lcm_calls.count("GetCampaignGroups") == 2


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis at TEST_REDIS_URL")
def test_every_cache_object_of_a_worker_shares_one_redis_pool():
    """Django makes a cache object per async context (so per request); they share one pool,
    and a burst past the pool's size waits for a connection instead of failing."""
    params = {"OPTIONS": {"max_connections": 4}}
    first, second = SharedPoolRedisCache(REDIS_URL, params), SharedPoolRedisCache(REDIS_URL, params)
    assert first._cache is second._cache
    pool = first._cache._get_connection_pool(write=True)
    assert pool is second._cache._get_connection_pool(write=True)

    async def burst() -> list:
        async def one(n: int):
            cache = SharedPoolRedisCache(REDIS_URL, params)
            await cache.aset(f"burst-{n}", n, 30)
            return await cache.aget(f"burst-{n}")

        return await asyncio.gather(*(one(n) for n in range(40)))

    assert asyncio.run(burst()) == list(range(40))
    assert len(pool._connections) <= 4  # never more connections than the pool allows


async def test_cached_groups_leave_out_each_groups_members(agents, lcm_calls):
    """LCM lists every agent of a group. Kept in each agent's entry, that list would make every
    entry grow with the group, and after a deploy every agent reads theirs back from the shared
    cache: thousands of agents each unpickling thousands of members."""
    from agentdesk.lcm import messages as m

    alice = agents["alice"]
    answer = (await lcm_client.get_client().call(m.GetCampaignGroups(alice.lcm_agent_id))).answer
    assert any(group.agents for group in answer.groups)  # LCM does list them
    groups = await lookups.group_choices(alice)
    assert groups.names and all(group.agents == () for group in groups.groups)
    lookups.forget_all()
    shared = await lookups.group_choices(alice)  # read back from the shared cache
    assert shared.names == groups.names
    assert all(group.agents == () for group in shared.groups)


def test_async_cache_reads_run_side_by_side_not_on_one_shared_thread():
    """Django's async cache methods queue every read on one shared thread; a burst of them
    (a reconnect storm reading each agent's reference data) must not."""
    cache = SharedPoolRedisCache(REDIS_URL, {})
    threads: set[int] = set()

    def slow_get(key, default=None, version=None):
        threads.add(threading.get_ident())
        time.sleep(0.3)  # a busy Redis
        return key

    cache.get = slow_get

    async def burst() -> list:
        return await asyncio.gather(*(cache.aget(f"key-{n}") for n in range(4)))

    started = time.perf_counter()
    assert asyncio.run(burst()) == [f"key-{n}" for n in range(4)]
    assert len(threads) > 1
    assert time.perf_counter() - started < 4 * 0.3  # one after another: at least 1.2 s
