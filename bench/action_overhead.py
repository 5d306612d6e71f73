"""Action overhead: an agent's Next → Skip cycle through the whole product against a bare hop.

Whole product: HTTP POST to agentdesk, LCM over HTTP to a separate lcmsim server, state saved,
partials rendered, push sent (the agent's page is connected and receives it). Bare hop: the
same two envelopes forwarded by a bare Daphne view to the same lcmsim. Concurrency 1.

    .venv/bin/python -m bench.action_overhead [--cycles 200] [--runs 5]
"""

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
import websockets

from . import harness
from .harness import pct, summary

GROUP = "Sales Manual Group"


def envelope(subtopic: str, data: dict) -> bytes:
    return json.dumps({"channel": "LCM", "topic": "WebService", "subtopic": subtopic,
                       "source": "bench", "data": data}).encode()


async def product_cycles(app, session: str, cycles: int) -> list[float]:
    headers = harness.agent_headers(session)
    received = 0

    async def listen(ws):
        nonlocal received
        async for _ in ws:
            received += 1

    url = f"ws://127.0.0.1:{app.port}/ws/desk/"
    async with websockets.connect(url, additional_headers={"Origin": app.url,
                                                           "Cookie": headers["Cookie"]}) as ws:
        await ws.recv()
        listener = asyncio.create_task(listen(ws))
        samples = []
        async with httpx.AsyncClient(base_url=app.url, headers=headers, timeout=30) as client:
            for _ in range(cycles):
                started = time.perf_counter()
                got = await client.post("/desk/next", data={"campaign_group": GROUP, "consent": "Both"})
                assert "is on your screen" in got.text, got.text[:300]
                done = await client.post("/desk/skip", data={"outcome": "8"})
                assert "Skipped with outcome" in done.text, done.text[:300]
                samples.append((time.perf_counter() - started) * 1000)
        listener.cancel()
    assert received >= cycles, "pushes did not arrive"
    return samples


async def bare_cycles(hop, agent_id: str, cycles: int) -> list[float]:
    samples = []
    async with httpx.AsyncClient(base_url=hop.url, timeout=30) as client:
        for _ in range(cycles):
            started = time.perf_counter()
            got = await client.post("/hop", content=envelope("GetDownloadContactsForDialing", {
                "CampaignGroup": GROUP, "NumberOfContactsRequired": 1, "Consent": "Both",
                "AgentID": agent_id, "ReservedContacts": "false"}))
            contact = got.json()["message"]["response"]
            done = await client.post("/hop", content=envelope("SkipManualDialContact", {
                "OutcomeId": 8, "UserId": agent_id, "AccountNumber": contact["AccountNumber"],
                "PhoneNumber": contact["PhoneNumber"]}))
            assert done.json()["message"]["response"]["success"] is True
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with harness.workspace() as env:
        # Both sides hand contacts out; some demo contacts are expired or not due yet.
        world = harness.setup_world(env, agents=2, contacts=args.cycles * args.runs * 3 + 200)
        sim = harness.lcmsim(env)
        lcm_url = f"{sim.url}/lcm"
        app = harness.daphne(env, LCM_URL=lcm_url)
        hop = harness.daphne(env, app="bench.barehop:application", LCM_URL=lcm_url)
        try:
            rows: dict[str, tuple[list[Any], list[Any]]] = {"product": ([], []), "bare hop": ([], [])}
            for _ in range(args.runs):
                product = asyncio.run(product_cycles(app, world["agents"][0]["session"],
                                                     args.cycles))
                bare = asyncio.run(bare_cycles(hop, "bench1@bench", args.cycles))
                for name, samples in (("product", product), ("bare hop", bare)):
                    rows[name][0].append(pct(samples, 50))
                    rows[name][1].append(pct(samples, 99))
            handed, twice = harness.duplicates_handed_out(env)
        finally:
            for process in (app, hop, sim):
                process.stop()
    p50 = [a / b for a, b in zip(rows["product"][0], rows["bare hop"][0], strict=True)]
    p99 = [a / b for a, b in zip(rows["product"][1], rows["bare hop"][1], strict=True)]
    print(f"Next → Skip cycle, {args.cycles} cycles × {args.runs} runs, concurrency 1; "
          "median [min–max] over runs, ms")
    for name, (p50s, p99s) in rows.items():
        print(f"  {name:9} p50 {summary(p50s)}   p99 {summary(p99s)}")
    print(f"  ratio     p50 {summary(p50)} (goal ≤ 1.2)   p99 {summary(p99)} (goal ≤ 1.5)")
    print(f"  handout: {handed} contacts handed out by agentdesk, {twice} to more than one agent")


if __name__ == "__main__":
    main()
