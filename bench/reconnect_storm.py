"""Reconnect storm: N agent pages connected to one Daphne worker (PostgreSQL + Redis, LCM its
own `lcmsim` server) lose their connection at once because the worker restarts (a deploy);
the new worker answers at once, and every page reconnects as the page's own reconnect loop
does (static/agentdesk/agentdesk.js: the first try at a random moment 0.5-3 s after the loss,
then a jittered back-off doubling up to 10 s; `--no-spread`: every page's first try in the
same instant, as before the page spread them). Measured: time from the new worker being up
until the last page has its resync (its first message, the full live state), and the
resyncs per second.

The other side, in the same run: the same storm against a bare Channels consumer on the same
kind of worker (bench/barestorm.py: authenticate from the session cookie, join one group,
send a fixed fragment; no agentdesk code), so the ratio says what agentdesk's resync adds.

    .venv/bin/python -m bench.reconnect_storm [--agents 5000] [--no-spread] [--profile [--gil]]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from typing import Any

import websockets

from . import harness
from .profile import profiled


async def storm(
    port: int,
    agents: list[dict[str, Any]],
    origin: str,
    *,
    at_once: int | None = None,
    check: str = "",
    give_up: float = 120,
    spread: bool = True,
) -> tuple[float, int, list[float]]:
    """Connect every page, keep retrying until each has its first message; (seconds until the
    last page resynced, failed attempts, per-page seconds). A page still without its resync
    after `give_up` seconds counts as never resynced (infinite)."""
    failures = 0
    errors: dict[str, int] = {}
    gate = asyncio.Semaphore(at_once or len(agents))
    rng = random.Random(1)
    sockets = []
    started = time.perf_counter()

    def delay(attempt: int) -> float:
        """The page's back-off (static/agentdesk/agentdesk.js `reconnectDelay`), seconds."""
        if attempt == 0:
            return 0.5 + rng.random() * 2.5
        limit = min(10.0, 2.0**attempt)
        return limit / 2 + rng.random() * limit / 2

    async def page(agent: dict[str, Any]) -> float:
        nonlocal failures
        if spread:  # the page's first try comes at a random moment after the loss
            await asyncio.sleep(delay(0))
        for attempt in range(200):
            if time.perf_counter() - started > give_up:
                break
            try:
                async with gate:
                    ws = await websockets.connect(
                        f"ws://127.0.0.1:{port}/ws/desk/",
                        open_timeout=60,
                        ping_interval=None,
                        close_timeout=1,
                        max_size=None,
                        additional_headers={
                            "Origin": origin,
                            "Cookie": f"sessionid={agent['session']}",
                        },
                    )
                    first = await asyncio.wait_for(ws.recv(), 60)
                assert check in first, first[:300]
                sockets.append(ws)
                return time.perf_counter() - started
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as exc:
                failures += 1
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                await asyncio.sleep(delay(attempt + 1))
        return float("inf")

    per_page = await asyncio.gather(*(page(a) for a in agents))
    elapsed = max(per_page)
    if errors:
        print(f"    failed attempts by kind: {errors}", flush=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return elapsed, failures, per_page


def run_side(
    env: dict[str, Any],
    agents: list[dict[str, Any]],
    app: str,
    check: str,
    profile: bool,
    lcm_url: str,
    gil: bool = False,
    spread: bool = True,
    first_only: bool = False,
) -> dict[str, Any]:
    worker = harness.daphne(env, app=app, LCM_URL=lcm_url)
    try:
        # The morning: pages open over a while (and caches fill), 100 at a time.
        name = f"first_connect-{app.split('.')[-1].split(':')[0]}"
        with profiled(worker, name, enabled=profile and first_only, gil=gil) as first_spy:
            warm, warm_failures, _ = asyncio.run(
                storm(worker.port, agents, worker.url, at_once=100, check=check, spread=False)
            )
        rss = worker.rss_kib()
    finally:
        worker.stop()  # the deploy: every connection is cut at once
    if first_only:
        return {
            "warm": warm,
            "warm_failures": warm_failures,
            "rss_mib": rss / 1024,
            "profile": first_spy.report() if first_spy.path else "",
        }
    worker = harness.daphne(env, app=app, LCM_URL=lcm_url)
    try:
        with profiled(
            worker, f"reconnect_storm-{app.split('.')[-1].split(':')[0]}", enabled=profile, gil=gil
        ) as spy:
            elapsed, failures, per_page = asyncio.run(
                storm(worker.port, agents, worker.url, check=check, spread=spread)
            )
    finally:
        worker.stop()
    return {
        "warm": warm,
        "warm_failures": warm_failures,
        "elapsed": elapsed,
        "failures": failures,
        "rss_mib": rss / 1024,
        "p50": harness.pct(per_page, 50),
        "profile": spy.report() if spy.path else "",
        "resynced": sum(1 for t in per_page if t != float("inf")),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="py-spy on agentdesk's worker")
    parser.add_argument(
        "--no-spread",
        action="store_true",
        help="every page's first try in the same instant (no jitter on the page)",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="profile only the thread holding the GIL (CPU, not waits)",
    )
    parser.add_argument(
        "--first-connect-only",
        action="store_true",
        help="only agentdesk's first connect of the day (caches empty), 100 at "
        "a time: no restart storm, no bare side",
    )
    args = parser.parse_args()
    if args.first_connect_only:
        first_connect(args.agents, args.profile, args.gil)
        return
    with harness.workspace(postgres=True, redis=True) as env:
        world = harness.setup_world(env, agents=args.agents, contacts=100)
        sim = harness.lcmsim(env)
        try:
            lcm_url = f"{sim.url}/lcm"
            product = run_side(
                env,
                world["agents"],
                "agentdesk.asgi:application",
                'id="agent-status"',
                args.profile,
                lcm_url,
                args.gil,
                spread=not args.no_spread,
            )
            bare = run_side(
                env,
                world["agents"],
                "bench.barestorm:application",
                "bare-resync",
                False,
                lcm_url,
                spread=not args.no_spread,
            )
        finally:
            sim.stop()
    load = os.getloadavg()
    how = "in the same instant" if args.no_spread else "spread as the page does"
    print(
        f"Reconnect storm: {args.agents} agent pages reconnect ({how}) to a restarted worker "
        f"(PostgreSQL + Redis); load average {load[0]:.1f} {load[1]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    for name, side in (("agentdesk", product), ("bare", bare)):
        print(
            f"  {name:9} {side['resynced']} resynced, the last after {side['elapsed']:.1f} s "
            f"({args.agents / side['elapsed']:.0f}/s, page p50 {side['p50']:.1f} s, "
            f"{side['failures']} failed attempts retried); first connect 100 at a time "
            f"{side['warm']:.1f} s ({side['warm_failures']} failed attempts retried); "
            f"RSS {side['rss_mib']:.0f} MiB"
        )
    print(
        f"  ratio     {product['elapsed'] / bare['elapsed']:.2f} (agentdesk ÷ bare); "
        f"goal: all {args.agents} resynced ≤ 30 s"
    )
    if product["profile"]:
        print(product["profile"])


def first_connect(agents: int, profile: bool = False, gil: bool = False) -> None:
    """The first connect of the day alone: every agent's campaign groups come from LCM (or
    from what the worker already read of their group)."""
    with harness.workspace(postgres=True, redis=True) as env:
        world = harness.setup_world(env, agents=agents, contacts=100)
        sim = harness.lcmsim(env)
        try:
            side = run_side(
                env,
                world["agents"],
                "agentdesk.asgi:application",
                'id="agent-status"',
                profile,
                f"{sim.url}/lcm",
                gil,
                first_only=True,
            )
        finally:
            sim.stop()
    load = os.getloadavg()
    print(
        f"First connect of the day: {agents} agent pages (one campaign group of {agents} "
        f"members), 100 at a time, caches empty: all resynced after {side['warm']:.1f} s "
        f"({agents / side['warm']:.0f}/s, {side['warm_failures']} failed attempts retried); "
        f"RSS {side['rss_mib']:.0f} MiB; load average {load[0]:.1f} on {os.cpu_count()} cores"
    )
    if side["profile"]:
        print(side["profile"])


if __name__ == "__main__":
    main()
