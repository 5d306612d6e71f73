"""Scale-out: Next → Skip cycles per second with 1 and with 2 Daphne workers sharing
PostgreSQL and Redis on this machine; closed loop, each simulated agent starts its next cycle
when the last one ends, requests spread round-robin over the workers.

    .venv/bin/python -m bench.scale_out [--agents 16] [--seconds 20] [--runs 3]
"""

import argparse
import asyncio
import os
import time
from typing import Any

import httpx

from . import harness
from .harness import summary

GROUP = "Sales Manual Group"


async def load(workers, agents: list[dict[str, Any]], seconds: float) -> int:
    cycles = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=len(agents) * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def agent_loop(n: int, agent: dict[str, Any]):
            nonlocal cycles
            headers = harness.agent_headers(agent["session"])
            turn = n
            while time.monotonic() < deadline:
                base = workers[turn % len(workers)].url
                got = await client.post(
                    f"{base}/desk/next",
                    data={"campaign_group": GROUP, "consent": "Both"},
                    headers=headers,
                )
                turn += 1
                base = workers[turn % len(workers)].url
                skip = {"outcome": "8", **harness.shown_in(got.text)}
                done = await client.post(f"{base}/desk/skip", data=skip, headers=headers)
                turn += 1
                if "is on your screen" in got.text and "Skipped" in done.text:
                    cycles += 1

        await asyncio.gather(*(agent_loop(n, a) for n, a in enumerate(agents)))
    return cycles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, list[Any]] = {1: [], 2: []}
    duplicates = 0
    handed_total = 0
    for _ in range(args.runs):
        for count in (1, 2):
            with harness.workspace(postgres=True, redis=True) as env:
                # Enough for the fastest run seen (~40 cycles/s) with room to spare.
                world = harness.setup_world(
                    env, agents=args.agents, contacts=int(args.seconds * 80) + 500
                )
                workers = [harness.daphne(env) for _ in range(count)]
                try:
                    cycles = asyncio.run(load(workers, world["agents"], args.seconds))
                    handed, twice = harness.duplicates_handed_out(env)
                finally:
                    for worker in workers:
                        worker.stop()
            results[count].append(cycles / args.seconds)
            duplicates += twice
            handed_total += handed
    ratio = [b / a for a, b in zip(results[1], results[2], strict=True)]
    print(
        f"Next → Skip cycles/s, {args.agents} agents in a closed loop for {args.seconds:g} s, "
        f"PostgreSQL + Redis, LCM embedded; median [min–max] of {args.runs} runs "
        f"on {os.cpu_count()} cores shared with PostgreSQL, Redis and the load generator"
    )
    print(f"  1 worker  {summary(results[1])}")
    print(f"  2 workers {summary(results[2])}")
    print(f"  ratio     {summary(ratio)}")
    print(f"  handout: {handed_total} contacts handed out, {duplicates} to more than one agent")


if __name__ == "__main__":
    main()
