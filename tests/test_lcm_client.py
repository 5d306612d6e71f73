"""The LCM client over both transports (embedded, and HTTP to a real lcmsim server), and every
failure it turns into a typed error."""

import asyncio
import socket
import threading

import pytest

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import HttpTransport, LcmClient
from agentdesk.lcm.errors import LcmBadAnswer, LcmRejected, LcmTimeout, LcmUnreachable
from agentdesk.lcm.xmlfields import ContactMode
from agentdesk.lcmsim.models import Contact
from agentdesk.lcmsim.service import set_fault
from agentdesk.lcmsim.transport import EmbeddedTransport

from .conftest import free_port
from .helpers import EASTERN, add_contact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["embedded", "http"])
def client(request, sim_world):
    if request.param == "embedded":
        return LcmClient(EmbeddedTransport(), timeout=2, source="tests")
    server = request.getfixturevalue("lcmsim_server")
    return LcmClient(HttpTransport(server.url + "/lcm", 2), timeout=2, source="tests")


def run(coro):
    return asyncio.run(coro)


def test_every_subtopic_through_the_transport(client):
    from django.utils import timezone

    reserved_key = add_contact(phone="2025550111", call_type="2", agent_id="a2@test")
    add_contact(phone="2025550112")
    now = timezone.localtime().replace(tzinfo=None)

    async def scenario():
        results = {}
        results["groups"] = (await client.call(m.GetCampaignGroups("a1@test"))).answer
        results["telephony"] = (await client.call(m.GetCallOutCome())).answer
        results["business"] = (await client.call(m.GetBusinessOutCome())).answer
        results["manual"] = (await client.call(m.GetOutcomeByOutcomegroup("MANUAL"))).answer
        results["count"] = (await client.call(m.GetAgentCallCount("a2@test"))).answer
        results["queue"] = (
            await client.call(m.GetCampaignGroupContactCount("Sales Manual Group"))
        ).answer
        results["next"] = (
            await client.call(m.GetDownloadContactsForDialing("Sales Manual Group", "a1@test"))
        ).answer
        contact = results["next"].contact
        results["skip"] = (
            await client.call(
                m.SkipManualDialContact(3, "a1@test", contact.account_number, contact.phone_number)
            )
        ).answer
        results["od"] = (await client.call(m.GetReservedContactOD("a2@test"))).answer
        results["manual_reserved"] = (
            await client.call(m.GetReservedManualDialContact("a2@test"))
        ).answer
        results["created"] = (
            await client.call(
                m.CreateContact(
                    "Spring Renewals",
                    now,
                    now,
                    {"first_name": "</first_name><x>"},
                    (ContactMode("Home", "2025550113", EASTERN),),
                    status=0,
                )
            )
        ).answer
        return results

    results = run(scenario())
    assert [g.name for g in results["groups"].groups] == [
        "Sales Manual Group",
        "Service Manual Group",
    ]
    assert {o.id for o in results["telephony"].outcomes} == {3, 4, 5, 8, 9}
    assert 130 in {o.id for o in results["business"].outcomes}
    assert 130 not in {o.id for o in results["manual"].outcomes}
    assert results["count"] == m.AgentCallCountAnswer(1, 0, True)
    assert results["queue"].open_contacts == 1
    assert results["next"].contact.phone_number == "2025550112"
    assert results["skip"].success is True
    assert results["od"].contact.account_number == reserved_key
    # The reserved contact is already held by a2, so the newer call gives the same one back.
    assert results["manual_reserved"].contact.account_number == reserved_key
    created = Contact.objects.get(lcm_key=results["created"].lcm_key)
    assert created.business_fields == {"first_name": "</first_name><x>"}


def test_ws_error_becomes_rejected_with_its_text(client):
    with pytest.raises(LcmRejected) as error:
        run(client.call(m.GetDownloadContactsForDialing("No Such Group", "a1@test")))
    assert error.value.detail == "Invalid Campaign Group."
    assert error.value.subtopic == "GetDownloadContactsForDialing"


@pytest.mark.parametrize(
    ("fault", "error_type"),
    [
        ("garbage", LcmBadAnswer),
        ("wrong_shape", LcmBadAnswer),
        ("ws_error", LcmRejected),
        ("down", LcmUnreachable),
    ],
)
def test_faults_become_typed_errors(client, fault, error_type):
    set_fault(fault)
    with pytest.raises(error_type) as error:
        run(client.call(m.GetCallOutCome()))
    assert error.value.describe()


def test_slow_lcm_times_out(client):
    fast = LcmClient(client.transport, timeout=0.3, source="tests")
    if isinstance(client.transport, HttpTransport):
        fast.transport = HttpTransport(client.transport.url, 0.3)
    set_fault("slow", delay_seconds=1.0)
    with pytest.raises(LcmTimeout):
        run(fast.call(m.GetCallOutCome()))


def test_http_500(sim_world, lcmsim_server):
    client = LcmClient(HttpTransport(lcmsim_server.url + "/lcm", 2), timeout=2, source="t")
    set_fault("http_500")
    with pytest.raises(LcmBadAnswer, match="HTTP 500"):
        run(client.call(m.GetCallOutCome()))
    set_fault("none")
    assert run(client.call(m.GetCallOutCome())).answer.outcomes


def test_a_connection_dropped_mid_answer_is_unreachable():
    """A real TCP peer that promises 400 bytes, sends 20 and hangs up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve_one():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b'Content-Length: 400\r\n\r\n{"channel": "LCM", "mes'
        )
        conn.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    client = LcmClient(HttpTransport(f"http://127.0.0.1:{port}/lcm", 2), timeout=2, source="t")
    with pytest.raises(LcmUnreachable) as error:
        run(client.call(m.SkipManualDialContact(3, "a", "1|1|1|0|0|84|1", "1")))
    assert error.value.detail.split(":")[0] in {"RemoteProtocolError", "ReadError"}
    thread.join(2)
    listener.close()


def test_nothing_listening_is_unreachable():
    port = free_port()
    with socket.socket():
        pass
    client = LcmClient(HttpTransport(f"http://127.0.0.1:{port}/lcm", 1), timeout=1, source="t")
    with pytest.raises(LcmUnreachable) as error:
        run(client.call(m.GetCallOutCome()))
    assert "unreachable" in error.value.describe()


class CountingTransport:
    def __init__(self, failures: int) -> None:
        self.calls = 0
        self.failures = failures
        self.inner = EmbeddedTransport()

    async def exchange(self, envelope):
        self.calls += 1
        if self.calls <= self.failures:
            raise LcmUnreachable("connection refused")
        return await self.inner.exchange(envelope)


def test_reads_are_retried_once(sim_world):
    transport = CountingTransport(failures=1)
    exchange = run(LcmClient(transport, timeout=2, source="t").call(m.GetCallOutCome()))
    assert transport.calls == 2 and exchange.attempts == 2
    transport = CountingTransport(failures=2)
    with pytest.raises(LcmUnreachable):
        run(LcmClient(transport, timeout=2, source="t").call(m.GetCallOutCome()))
    assert transport.calls == 2


@pytest.mark.parametrize(
    "request_",
    [
        m.SkipManualDialContact(3, "a1@test", "1|1|1|0|0|84|1", "1"),
        m.GetDownloadContactsForDialing("Sales Manual Group", "a1@test"),
    ],
)
def test_writes_are_never_retried(sim_world, request_):
    transport = CountingTransport(failures=1)
    with pytest.raises(LcmUnreachable):
        run(LcmClient(transport, timeout=2, source="t").call(request_))
    assert transport.calls == 1


def test_latency_is_measured(client):
    exchange = run(client.call(m.GetCallOutCome()))
    assert 0 < exchange.latency_ms < 2000
