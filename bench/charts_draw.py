"""What one redraw of a team's charts costs the worker: a team of agents with a day of
actions; before each measured redraw one agent acts (an action's log entry as the desk
writes it, outside the timing), then the charts' update is rendered in every configured
language, as the worker does: its time, and the worker's own processor time in it (where the
charts are drawn in a process of their own, that drawing is not the worker's). Also timed on
their own: the day's figures (the queries), and
the drawing in one language from figures already read.

The same script measures any checkout (run it with that checkout first on PYTHONPATH).
In-process, on a fresh SQLite file.

    PYTHONPATH=<checkout> .venv/bin/python bench/charts_draw.py [--agents 50] [--actions 2000]

`--probe SECONDS`: how an agent's work fares while charts are being redrawn back to back:
a probe every 20 ms makes five small statements, each in a worker thread as an action's are
(db_async), and its latency is timed, with the charts drawn in the worker, in their own
process (MONITOR_CHARTS_PROCESS) and not at all, one after the other.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
os.environ["AGENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-charts-draw-")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import translation  # noqa: E402

from agentdesk.desk import state  # noqa: E402
from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession  # noqa: E402
from agentdesk.language.sockets import languages  # noqa: E402
from agentdesk.monitor import figures, live  # noqa: E402
from agentdesk.shared.asyncdb import db_async  # noqa: E402
from agentdesk.teams.models import Team  # noqa: E402

GROUP = "Sales Manual Group"


def seed(agents: int, actions: int) -> tuple[Team, list[AgentProfile]]:
    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="Bench")
    profiles = []
    for n in range(agents):
        user = get_user_model().objects.create(username=f"draw{n}", password="!")
        profile = AgentProfile.objects.create(
            user=user, lcm_agent_id=f"draw{n}@bench", team=team, campaign_groups=[GROUP]
        )
        AgentSession.objects.create(agent=profile, campaign_group=GROUP)
        profiles.append(profile)
    ActionLog.objects.bulk_create(
        ActionLog(
            agent=profiles[n % agents],
            team=team,
            kind=["next", "skip", "add"][n % 3],
            campaign_group=GROUP,
            lcm_key=f"1|1|{n}|0|0|84|{n}",
            outcome_id=(8, 3, 5)[n % 9 // 3] if n % 3 == 1 else None,
            outcome_name=("No Answer", "Busy", "Answering Machine")[n % 9 // 3]
            if n % 3 == 1
            else "",
        )
        for n in range(actions)
    )
    return team, profiles


def act(profile: AgentProfile, n: int) -> None:
    state.write_log(
        profile,
        "skip",
        campaign_group=GROUP,
        outcome_id=8,
        outcome_name="No Answer",
        lcm_key=f"9|9|{n}|0|0|84|{n}",
    )


def measure(team: Team, profiles: list[AgentProfile], redraws: int) -> dict[str, list[float]]:
    langs = languages()
    times: dict[str, list[float]] = {"update": [], "worker CPU": [], "figures": [], "drawing": []}
    for n in range(redraws):
        act(profiles[n % len(profiles)], n)
        started, cpu = time.perf_counter(), time.process_time()
        asyncio.run(live.render_team_changes_in(team.pk, live.Change(charts=True), langs))
        times["update"].append((time.perf_counter() - started) * 1000)
        times["worker CPU"].append((time.process_time() - cpu) * 1000)
        act(profiles[(n + 1) % len(profiles)], n + redraws)
        started = time.perf_counter()
        context = figures.today_charts(team)
        times["figures"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with translation.override(langs[-1]):
            live.render_charts(team, context, oob=True)
        times["drawing"].append((time.perf_counter() - started) * 1000)
    return times


async def probe(
    team: Team, profiles: list[AgentProfile], seconds: float, redraw: bool
) -> list[float]:
    """Latency of an agent-like probe (five statements, each a thread hop) while the team's
    charts are redrawn back to back (`redraw`), as the worker's charts' turn would under load."""
    langs = languages()
    latencies: list[float] = []
    done = asyncio.Event()

    def statement(agent_id: int) -> None:
        AgentSession.objects.filter(agent_id=agent_id).values_list("version", flat=True).first()

    async def redraws() -> None:
        n = 0
        while not done.is_set():
            await asyncio.to_thread(act, profiles[n % len(profiles)], 100_000 + n)
            await live.render_team_changes_in(team.pk, live.Change(charts=True), langs)
            n += 1

    async def probes() -> None:
        deadline = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            for _ in range(5):
                await db_async(statement)(profiles[n % len(profiles)].pk)
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1
            await asyncio.sleep(0.02)
        done.set()

    await asyncio.gather(probes(), redraws() if redraw else done.wait())
    return latencies


def run_probes(team: Team, profiles: list[AgentProfile], seconds: float) -> None:
    from agentdesk.monitor import drawing  # where the charts have a process of their own

    for name, redraw, elsewhere in (
        ("charts drawn in the worker", True, False),
        ("charts drawn in their own process", True, True),
        ("no charts", False, False),
    ):
        settings.MONITOR_CHARTS_PROCESS = elsewhere
        found = asyncio.run(probe(team, profiles, seconds, redraw))
        found.sort()
        p99 = found[min(len(found) - 1, int(len(found) * 0.99))]
        print(
            f"  probe, {name} (load {os.getloadavg()[0]:.1f}): p50 "
            f"{statistics.median(found):.1f} ms, p99 {p99:.1f} ms over {len(found)} probes"
        )
    drawing.stop_drawing()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--redraws", type=int, default=40)
    parser.add_argument("--probe", type=float, default=0, help="seconds per probe run")
    args = parser.parse_args()
    team, profiles = seed(args.agents, args.actions)
    if args.probe:
        measure(team, profiles, 2)  # warm up
        run_probes(team, profiles, args.probe)
        return
    measure(team, profiles, 5)  # warm up (and, where kept, the day's first count)
    times = measure(team, profiles, args.redraws)
    load = os.getloadavg()[0]
    summary = ", ".join(
        f"{name} p50 {statistics.median(found):.1f} / max {max(found):.1f} ms"
        for name, found in times.items()
    )
    print(
        f"charts redraw, {args.agents} agents, {args.actions} actions today, "
        f"{len(languages())} languages, load {load:.1f}: {summary}"
    )


if __name__ == "__main__":
    main()
