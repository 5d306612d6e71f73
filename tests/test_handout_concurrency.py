"""Handing out contacts is atomic: concurrent agents never get the same contact.

Marked `postgres`: the test command runs these again on PostgreSQL."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import HttpTransport, LcmClient
from agentdesk.lcmsim import demo, service
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.transport import EmbeddedTransport

from .helpers import add_contact

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AGENTS = [f"agent{n}@load" for n in range(50)]


@pytest.fixture
def crowd(sim_world):
    demo.assign_agents({agent: ["Sales Manual Group"] for agent in AGENTS})


def fetch_all(client: LcmClient) -> list[m.FetchAnswer]:
    async def everyone():
        return await asyncio.gather(
            *(
                client.call(m.GetDownloadContactsForDialing("Sales Manual Group", agent))
                for agent in AGENTS
            )
        )

    return [exchange.answer for exchange in asyncio.run(everyone())]


def assert_distinct(answers: list[m.FetchAnswer], available: int) -> None:
    keys = [a.contact.account_number for a in answers if a.contact is not None]
    assert len(keys) == len(set(keys)), "a contact was handed to two agents"
    assert len(keys) == min(available, len(AGENTS))
    held = Contact.objects.filter(status=Contact.IN_PROGRESS)
    assert held.count() == len(keys)
    assert held.values("held_by").distinct().count() == len(keys)


@pytest.mark.parametrize("available", [80, 30])
def test_fifty_agents_at_once_through_the_embedded_client(crowd, available):
    for n in range(available):
        add_contact(phone=f"20255{n:05d}")
    answers = fetch_all(LcmClient(EmbeddedTransport(), timeout=30, source="t"))
    assert_distinct(answers, available)
    if available < len(AGENTS):
        assert sum(a.contact is None for a in answers) == len(AGENTS) - available


def test_fifty_agents_at_once_over_http(crowd, lcmsim_server):
    for n in range(60):
        add_contact(phone=f"20255{n:05d}")
    client = LcmClient(HttpTransport(lcmsim_server.url + "/lcm", 30), timeout=30, source="t")
    assert_distinct(fetch_all(client), 60)


def test_fifty_threads_hammering_the_simulator(crowd):
    """Fifty OS threads, each with its own database connection, all asking at once."""
    for n in range(40):
        add_contact(phone=f"20255{n:05d}")

    def fetch(agent):
        try:
            request = m.GetDownloadContactsForDialing("Sales Manual Group", agent)
            return service.download_contacts(request)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(fetch, AGENTS))
    assert_distinct(answers, 40)


def test_one_agent_asking_twenty_times_at_once_holds_one_contact(crowd):
    for n in range(10):
        add_contact(phone=f"20255{n:05d}")

    def fetch(_):
        try:
            return service.download_contacts(
                m.GetDownloadContactsForDialing("Sales Manual Group", AGENTS[0])
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(fetch, range(20)))
    assert len({a.contact.account_number for a in answers}) == 1
    assert Contact.objects.filter(status=Contact.IN_PROGRESS).count() == 1


def test_runs_on_the_configured_database():
    assert connection.vendor in {"sqlite", "postgresql"}
