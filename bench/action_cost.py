"""Action cost: agentdesk's Next → Skip cycle against a bare hop to the same LCM, both in one run.

agentdesk: one Daphne worker on PostgreSQL + Redis; each simulated agent has its page's
websocket open and sends Next then Skip over it as the page does, waiting for the answer that
names its request; LCM is its own `lcmsim` server. The same agents POSTing the actions (as a
page without a live socket does) are measured too. Bare hop: a bare ASGI app under Daphne (bench/barehop.py, no
Django, one pooled httpx client) forwarding the same two envelopes to the same `lcmsim`.

Two figures, each side by side in every run, runs alternating:
  throughput  N agents in a closed loop (each starts its next cycle when the last one ends),
              cycles/s; goal agentdesk ÷ bare hop ≥ 0.6
  latency     one agent at a time (concurrency 1), p50 of a cycle; goal agentdesk ÷ bare ≤ 1.3

    .venv/bin/python -m bench.action_cost [--agents 16] [--seconds 15] [--cycles 150]
                                           [--runs 3] [--profile] [--no-http]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from typing import Any

import httpx
import websockets

from . import harness
from .harness import pct, summary
from .profile import profiled

GROUP = "Sales Manual Group"
OVER_HTTP = "agentdesk, POSTing"
NEXT = {"campaign_group": GROUP, "consent": "Both"}
SKIP = {"outcome": "8"}


def envelope(subtopic: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "channel": "LCM",
            "topic": "WebService",
            "subtopic": subtopic,
            "source": "bench",
            "data": data,
        }
    ).encode()


class OverHttp:
    """Agents with their pages connected, POSTing their actions (a page without a live
    socket does that; the push still reaches the open page)."""

    def __init__(self, app, agents: list[dict[str, Any]]) -> None:
        self.app = app
        self.agents = agents
        self.pushes = 0

    async def _page(self, agent: dict[str, Any], ready: asyncio.Event, stop: asyncio.Event) -> None:
        async with websockets.connect(
            f"ws://127.0.0.1:{self.app.port}/ws/desk/",
            max_size=None,
            ping_interval=None,
            additional_headers={"Origin": self.app.url, "Cookie": f"sessionid={agent['session']}"},
        ) as ws:
            await ws.recv()  # the resync on connect
            ready.set()
            while not stop.is_set():
                try:
                    await asyncio.wait_for(ws.recv(), 0.5)
                    self.pushes += 1
                except TimeoutError:
                    pass

    async def run(self, agents: list[dict[str, Any]], body) -> list[float]:
        """Connect the agents' pages, run `body(client, agent)` for each, close the pages."""
        stop = asyncio.Event()
        readies = [asyncio.Event() for _ in agents]
        pages = [
            asyncio.create_task(self._page(a, r, stop))
            for a, r in zip(agents, readies, strict=True)
        ]
        await asyncio.gather(*(r.wait() for r in readies))
        limits = httpx.Limits(max_connections=len(agents) * 2)
        try:
            async with httpx.AsyncClient(
                base_url=self.app.url, timeout=60, limits=limits
            ) as client:
                results = await asyncio.gather(*(body(client, a) for a in agents))
        finally:
            stop.set()
            await asyncio.gather(*pages, return_exceptions=True)
        return [sample for samples in results for sample in samples]

    async def cycle(self, client: httpx.AsyncClient, agent: dict[str, Any]) -> float:
        headers = harness.agent_headers(agent["session"])
        started = time.perf_counter()
        got = await client.post("/desk/next", data=NEXT, headers=headers)
        assert "is on your screen" in got.text, got.text[:300]
        skip = {**SKIP, **harness.shown_in(got.text)}
        done = await client.post("/desk/skip", data=skip, headers=headers)
        assert "Skipped with outcome" in done.text, done.text[:300]
        return (time.perf_counter() - started) * 1000


class OverSocket(OverHttp):
    """Agents sending their actions over the page's open socket, as the page does."""

    def __init__(self, app, agents: list[dict[str, Any]]) -> None:
        super().__init__(app, agents)
        self.inbox: dict[str, asyncio.Queue[str]] = {}
        self.sockets: dict[str, websockets.ClientConnection] = {}
        self.sent = 0

    async def _page(self, agent: dict[str, Any], ready: asyncio.Event, stop: asyncio.Event) -> None:
        inbox = self.inbox[agent["session"]] = asyncio.Queue()  # one per event loop
        async with websockets.connect(
            f"ws://127.0.0.1:{self.app.port}/ws/desk/",
            max_size=None,
            ping_interval=None,
            additional_headers={"Origin": self.app.url, "Cookie": f"sessionid={agent['session']}"},
        ) as ws:
            await ws.recv()
            self.sockets[agent["session"]] = ws
            ready.set()
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    inbox.put_nowait(str(await asyncio.wait_for(ws.recv(), 0.5)))
                    self.pushes += 1

    async def _act(self, agent: dict[str, Any], fields: dict[str, Any], expected: str) -> str:
        """Send an action as the page does and wait for the answer that names it."""
        self.sent += 1
        request_id = f"b{self.sent}"
        await self.sockets[agent["session"]].send(json.dumps({**fields, "request_id": request_id}))
        inbox = self.inbox[agent["session"]]
        while f'data-request="{request_id}"' not in (
            answer := await asyncio.wait_for(inbox.get(), 60)
        ):
            pass
        assert expected in answer, answer[:300]
        return answer

    async def cycle(self, client: httpx.AsyncClient, agent: dict[str, Any]) -> float:
        started = time.perf_counter()
        shown = await self._act(agent, {"action": "next", **NEXT}, "is on your screen")
        skip = {"action": "skip", **SKIP, **harness.shown_in(shown)}
        await self._act(agent, skip, "Skipped with outcome")
        return (time.perf_counter() - started) * 1000


class BareHop:
    def __init__(self, hop) -> None:
        self.hop = hop

    async def run(self, agents: list[dict[str, Any]], body) -> list[float]:
        limits = httpx.Limits(max_connections=len(agents) * 2)
        async with httpx.AsyncClient(base_url=self.hop.url, timeout=60, limits=limits) as client:
            results = await asyncio.gather(*(body(client, a) for a in agents))
        return [sample for samples in results for sample in samples]

    async def cycle(self, client: httpx.AsyncClient, agent: dict[str, Any]) -> float:
        agent_id = agent["lcm_agent_id"]
        started = time.perf_counter()
        got = await client.post(
            "/hop",
            content=envelope(
                "GetDownloadContactsForDialing",
                {
                    "CampaignGroup": GROUP,
                    "NumberOfContactsRequired": 1,
                    "Consent": "Both",
                    "AgentID": agent_id,
                    "ReservedContacts": "false",
                },
            ),
        )
        contact = got.json()["message"]["response"]
        done = await client.post(
            "/hop",
            content=envelope(
                "SkipManualDialContact",
                {
                    "OutcomeId": 8,
                    "UserId": agent_id,
                    "AccountNumber": contact["AccountNumber"],
                    "PhoneNumber": contact["PhoneNumber"],
                },
            ),
        )
        assert done.json()["message"]["response"]["success"] is True, done.text[:300]
        return (time.perf_counter() - started) * 1000


def closed_loop(side, seconds: float):
    async def body(client, agent) -> list[float]:
        samples = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            samples.append(await side.cycle(client, agent))
        return samples

    return body


def one_at_a_time(side, cycles: int):
    async def body(client, agent) -> list[float]:
        return [await side.cycle(client, agent) for _ in range(cycles)]

    return body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15, help="per throughput run")
    parser.add_argument("--cycles", type=int, default=150, help="per latency run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-http", action="store_true", help="leave out the agents POSTing their actions"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy on the agentdesk worker: all busy samples in the first throughput run, "
        "only the thread holding the interpreter lock (its CPU) in the second",
    )
    args = parser.parse_args()
    # Enough contacts for 100 cycles/s on the two sides together (about twice what this
    # machine does), plus the demo's expired and not-yet-due share.
    contacts = (
        int(args.runs * (args.seconds * 100 + args.cycles * 2) * 1.2 * (1 if args.no_http else 1.5))
        + 300
    )
    with harness.workspace(postgres=True, redis=True) as env:
        world = harness.setup_world(env, agents=args.agents, contacts=contacts)
        agents = world["agents"]
        sim = harness.lcmsim(env)
        lcm_url = f"{sim.url}/lcm"
        # A simulated agent acts as fast as the server answers (30 and more frames a second
        # at concurrency 1), far beyond what a person can: the per-socket frame limit of
        # SOCKET_FRAMES_PER_SECOND would close its socket.
        app = harness.daphne(env, LCM_URL=lcm_url, SOCKET_FRAMES_PER_SECOND="1000")
        hop = harness.daphne(env, app="bench.barehop:application", LCM_URL=lcm_url)
        product, bare = OverSocket(app, agents), BareHop(hop)
        sides: list[tuple[str, OverHttp | BareHop]] = [("agentdesk", product), ("bare hop", bare)]
        if not args.no_http:
            sides.insert(1, (OVER_HTTP, OverHttp(app, agents)))
        throughput: dict[str, list[float]] = {name: [] for name, _ in sides}
        p50: dict[str, list[float]] = {name: [] for name, _ in sides}
        p99: dict[str, list[float]] = {name: [] for name, _ in sides}
        reports: list[str] = []
        try:
            for _, side in sides:  # warm every side: connections, caches, imports
                asyncio.run(side.run(agents, one_at_a_time(side, 3)))
            for run in range(args.runs):
                for name, side in sides:
                    gil = run == 1
                    with profiled(
                        app,
                        "action_cost-gil" if gil else "action_cost",
                        enabled=args.profile and run < 2 and side is product,
                        gil=gil,
                    ) as profile:
                        started = time.perf_counter()
                        samples = asyncio.run(side.run(agents, closed_loop(side, args.seconds)))
                        elapsed = time.perf_counter() - started
                    if profile.path:
                        reports.append(profile.report())
                    throughput[name].append(len(samples) / elapsed)
                    alone = asyncio.run(side.run(agents[:1], one_at_a_time(side, args.cycles)))
                    p50[name].append(pct(alone, 50))
                    p99[name].append(pct(alone, 99))
            handed, twice = harness.duplicates_handed_out(env)
        finally:
            for process in (app, hop, sim):
                process.stop()
    load = os.getloadavg()
    print(
        f"Action cost: Next → Skip, one Daphne worker on PostgreSQL + Redis, LCM its own "
        f"lcmsim server; {args.runs} runs, median [min–max]; load average "
        f"{load[0]:.1f} {load[1]:.1f} on {os.cpu_count()} cores"
    )

    def ratios(figures: dict[str, list[float]], name: str) -> list[float]:
        return [a / b for a, b in zip(figures[name], figures["bare hop"], strict=True)]

    ratio, ratio50, ratio99 = (ratios(f, "agentdesk") for f in (throughput, p50, p99))
    print(f"  throughput, {args.agents} agents closed loop for {args.seconds:g} s, cycles/s:")
    for name, values in throughput.items():
        print(f"    {name:26} {summary(values)}")
    print(f"    ratio                      {summary(ratio)}   (agentdesk ÷ bare hop; goal ≥ 0.6)")
    print(f"  latency, concurrency 1, {args.cycles} cycles, ms:")
    for name in p50:
        print(f"    {name:26} p50 {summary(p50[name])}   p99 {summary(p99[name])}")
    print(
        f"    ratio                      p50 {summary(ratio50)} (goal ≤ 1.3)   "
        f"p99 {summary(ratio99)}"
    )
    if not args.no_http:
        print(
            f"    ratio over HTTP            throughput {summary(ratios(throughput, OVER_HTTP))}"
            f"   p50 {summary(ratios(p50, OVER_HTTP))}"
        )
    print(
        f"  pushes received by the agents' pages: {product.pushes}; "
        f"handout: {handed} contacts handed out by agentdesk, {twice} to more than one agent"
    )
    for report in reports:
        print(report)
    print(
        f"  median throughput ratio {statistics.median(ratio):.2f}, "
        f"median p50 ratio {statistics.median(ratio50):.2f}"
    )


if __name__ == "__main__":
    main()
