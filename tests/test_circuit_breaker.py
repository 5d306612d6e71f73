"""The circuit breaker: a dead LCM fails fast after a few tries, and is tried again later."""

import asyncio
import time

import pytest

from agentdesk.lcm import messages as m
from agentdesk.lcm.client import CircuitBreaker, HttpTransport, LcmClient
from agentdesk.lcm.errors import LcmRejected, LcmUnreachable
from agentdesk.lcmsim.transport import EmbeddedTransport

from .conftest import free_port


class Flaky:
    def __init__(self) -> None:
        self.calls = 0
        self.down = True
        self.inner = EmbeddedTransport()

    async def exchange(self, envelope):
        self.calls += 1
        if self.down:
            raise LcmUnreachable("refused")
        return await self.inner.exchange(envelope)


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def skip():
    return m.SkipManualDialContact(3, "a", "1|1|1|0|0|84|1", "1")


@pytest.mark.django_db(transaction=True)
def test_opens_after_repeated_failures_and_closes_after_a_good_trial(sim_world):
    transport = Flaky()
    clock = Clock()
    breaker = CircuitBreaker(3, cooldown=10, clock=clock)
    client = LcmClient(transport, timeout=1, source="t", breaker=breaker)
    for _ in range(3):
        with pytest.raises(LcmUnreachable):
            asyncio.run(client.call(skip()))
    assert transport.calls == 3 and client.breaker.state == "open"
    with pytest.raises(LcmUnreachable) as fast:
        asyncio.run(client.call(skip()))
    assert transport.calls == 3  # not even tried
    assert "pausing calls" in fast.value.describe()
    clock.now += 9.9
    assert client.breaker.state == "open"
    assert client.breaker.retry_in() == pytest.approx(0.1)
    clock.now += 0.1
    assert client.breaker.state == "half-open"
    transport.down = False
    with pytest.raises(LcmRejected):  # LCM answers (refusing this skip): it is alive again
        asyncio.run(client.call(skip()))
    assert client.breaker.state == "closed" and client.breaker.failures == 0


def test_a_dead_lcm_stops_costing_the_full_timeout():
    port = free_port()
    client = LcmClient(
        HttpTransport(f"http://127.0.0.1:{port}/lcm", 2),
        timeout=2,
        source="t",
        breaker=CircuitBreaker(2, cooldown=30),
    )
    for _ in range(2):
        with pytest.raises(LcmUnreachable):
            asyncio.run(client.call(skip()))
    started = time.perf_counter()
    with pytest.raises(LcmUnreachable):
        asyncio.run(client.call(skip()))
    assert time.perf_counter() - started < 0.05
