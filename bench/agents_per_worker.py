"""Agents per worker: N agent websockets held on one Daphne worker (PostgreSQL + Redis), the
resident memory each costs, and how fast the change arrives while 20 actions/s are being
made: on the acting agent's page and on their team's monitor (teams of 50, one monitor each,
20 monitors in all). The actions are sent over the agent's socket, as the page does
(`--over-http`: POSTed, as a page without a live socket does).

    .venv/bin/python -m bench.agents_per_worker [--agents 1000 2000 5000] [--seconds 15]
                                                [--over-http]
"""

import argparse
import asyncio
import contextlib
import json
import random
import time
from typing import Any

import httpx
import websockets

from . import harness
from .harness import pct
from .profile import profiled

GROUP = "Sales Manual Group"
MONITORS = 20


async def run(
    app,
    world: dict[str, Any],
    seconds: float,
    rate: float,
    profile: bool = False,
    over_http: bool = False,
) -> dict[str, Any]:
    agents = world["agents"]
    rss_before = app.rss_kib()
    waiting: dict[str, list[asyncio.Future[Any]]] = {}
    sockets = []
    socket_of: dict[str, websockets.ClientConnection] = {}
    shown: dict[str, dict[str, str]] = {}  # the contact each agent's page shows

    async def hold(path: str, session: str, key: str):
        for attempt in range(8):  # retried as the page does when a busy worker drops a handshake
            try:
                ws = await websockets.connect(
                    f"ws://127.0.0.1:{app.port}{path}",
                    open_timeout=120,
                    ping_interval=None,
                    max_size=None,
                    additional_headers={"Origin": app.url, "Cookie": f"sessionid={session}"},
                )
                break
            except (websockets.exceptions.InvalidMessage, websockets.exceptions.InvalidStatus):
                await asyncio.sleep(min(10.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2))
        else:
            raise RuntimeError("a page could not connect")
        await ws.recv()
        sockets.append(ws)
        socket_of[key] = ws

        async def listen():
            async for frame in ws:
                now = time.perf_counter()
                if 'name="contact_key"' in str(frame):  # what the page's Skip names
                    shown[key] = harness.shown_in(str(frame))
                for future in waiting.pop(key, []):
                    if not future.done():
                        future.set_result(now)

        asyncio.get_running_loop().create_task(listen())

    started = time.perf_counter()
    semaphore = asyncio.Semaphore(50)  # connects in flight: a busy morning, not a stampede

    async def guarded(*args):
        async with semaphore:
            await hold(*args)

    await asyncio.gather(
        *(guarded("/ws/desk/", a["session"], f"agent:{a['agent']}") for a in agents)
    )
    await asyncio.gather(
        *(
            guarded(f"/ws/monitor/{lead['team']}/", lead["session"], f"team:{lead['team']}")
            for lead in world["leads"]
        )
    )
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(2)
    rss_after = app.rss_kib()

    agent_latency: list[float] = []
    monitor_latency: list[float] = []
    errors = 0
    next_kind: dict[int, str] = {}
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=app.url, timeout=30, limits=limits) as client:

        async def act(agent: dict[str, Any]):
            nonlocal errors
            kind = next_kind.get(agent["agent"], "next")
            next_kind[agent["agent"]] = "skip" if kind == "next" else "next"
            data = (
                {"campaign_group": GROUP, "consent": "Both"}
                if kind == "next"
                else {"outcome": "8", **shown.get(f"agent:{agent['agent']}", {})}
            )
            loop = asyncio.get_running_loop()
            for_agent, for_team = loop.create_future(), loop.create_future()
            waiting.setdefault(f"agent:{agent['agent']}", []).append(for_agent)
            waiting.setdefault(f"team:{agent['team']}", []).append(for_team)
            begin = time.perf_counter()
            if over_http:
                try:
                    response = await client.post(
                        f"/desk/{kind}", data=data, headers=harness.agent_headers(agent["session"])
                    )
                except httpx.HTTPError:  # no answer within the client's 30 s: counted, not fatal
                    errors += 1
                    return
                if response.status_code != 200:
                    errors += 1
                    return
                if 'name="contact_key"' in response.text:
                    shown[f"agent:{agent['agent']}"] = harness.shown_in(response.text)
            else:
                await socket_of[f"agent:{agent['agent']}"].send(
                    json.dumps({"action": kind, **data, "request_id": f"r{begin}"})
                )
            for future, samples in ((for_agent, agent_latency), (for_team, monitor_latency)):
                with contextlib.suppress(TimeoutError):
                    samples.append((await asyncio.wait_for(future, 10) - begin) * 1000)

        actors = random.Random(1).sample(agents, min(len(agents), int(seconds * rate)))
        tasks = []
        with profiled(app, f"push-{len(agents)}", enabled=profile) as spy:
            begun = time.perf_counter()
            for n, agent in enumerate(actors):
                tasks.append(asyncio.get_running_loop().create_task(act(agent)))
                # An open loop on a fixed schedule: a slow answer does not slow the offer.
                await asyncio.sleep(max(0.0, begun + (n + 1) / rate - time.perf_counter()))
            await asyncio.gather(*tasks)
            acting_seconds = time.perf_counter() - begun
    for ws in sockets:
        await ws.close()
    return {
        "connect_s": connect_seconds,
        "rss_per_socket_kib": (rss_after - rss_before) / len(sockets),
        "rss_mib": rss_after / 1024,
        "agent_p50": pct(agent_latency, 50),
        "agent_p99": pct(agent_latency, 99),
        "monitor_p50": pct(monitor_latency, 50),
        "monitor_p99": pct(monitor_latency, 99),
        "actions": len(agent_latency),
        "errors": errors,
        "acting_seconds": acting_seconds,
        "profile": spy.report() if spy.path else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=20, help="actions per second, in total")
    parser.add_argument("--profile", action="store_true", help="py-spy on the worker while acting")
    parser.add_argument(
        "--over-http",
        action="store_true",
        help="POST the actions instead of sending them over the agents' sockets",
    )
    args = parser.parse_args()
    print(
        f"one Daphne worker on PostgreSQL + Redis, LCM a separate lcmsim server; "
        f"{args.rate:g} actions/s for "
        f"{args.seconds:g} s, {'POSTed' if args.over_http else 'sent over the sockets'}; "
        f"latency from the action to its arrival on the agent's page and the monitor, ms"
    )
    for count in args.agents:
        with harness.workspace(postgres=True, redis=True) as env:
            world = harness.setup_world(
                env,
                agents=count,
                contacts=int(args.seconds * args.rate) + 500,
                monitors=min(MONITORS, max(1, count // 50)),
            )
            sim = harness.lcmsim(env)  # LCM is its own system, not the worker's load
            app = harness.daphne(env, LCM_URL=f"{sim.url}/lcm")
            try:
                result = asyncio.run(
                    run(app, world, args.seconds, args.rate, args.profile, args.over_http)
                )
                handed, twice = harness.duplicates_handed_out(env)
            finally:
                app.stop()
                sim.stop()
        print(
            f"  {count:5} agents + {len(world['leads'])} monitors: connected in "
            f"{result['connect_s']:.1f} s, RSS {result['rss_mib']:.0f} MiB, "
            f"{result['rss_per_socket_kib']:.0f} KiB per socket; "
            f"agent push p50 {result['agent_p50']:.0f} p99 {result['agent_p99']:.0f}; "
            f"monitor push p50 {result['monitor_p50']:.0f} p99 {result['monitor_p99']:.0f} "
            f"({result['actions']} actions done in {result['acting_seconds']:.1f} s, "
            f"{result['errors']} errors; "
            f"{handed} handed out, {twice} to two agents); "
            f"agent push p99 ÷ goal 100 ms: {result['agent_p99'] / 100:.2f}"
        )
        if result["profile"]:
            print(result["profile"])


if __name__ == "__main__":
    main()
