"""What one monitor push costs the worker: a team of agents with a day of actions; before each
measured push one agent acts (a log entry, a new session version: outside the timing), then
the push for that change is rendered in every configured language, as the worker does.

The same script measures any checkout (run it with that checkout first on PYTHONPATH):
where the monitor renders only what changed (`agentdesk.monitor.live.Change`), a change is
the agent's row, their queue and the feed, and the charts every `--charts-every`th change (a
team with one action a second and MONITOR_CHARTS_SECONDS=3); before that, every push
rendered the rows of the changed agents, the whole queue table, the feed and the charts.
In-process, on a fresh SQLite file.

    PYTHONPATH=<checkout> .venv/bin/python bench/monitor_push.py [--agents 50] [--actions 2000]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
os.environ["AGENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-monitor-push-")
os.environ.pop("DATABASE_URL", None)

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import F  # noqa: E402

from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession  # noqa: E402
from agentdesk.language.sockets import languages  # noqa: E402
from agentdesk.monitor import live  # noqa: E402
from agentdesk.teams.models import Team  # noqa: E402

GROUP = "Sales Manual Group"
INCREMENTAL = hasattr(live, "Change")


def seed(agents: int, actions: int) -> tuple[int, list[int]]:
    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="Bench")
    profiles = []
    for n in range(agents):
        user = get_user_model().objects.create(username=f"push{n}", password="!")
        profile = AgentProfile.objects.create(
            user=user, lcm_agent_id=f"push{n}@bench", team=team, campaign_groups=[GROUP]
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
            phone_last4=f"{n % 10000:04d}",
            outcome_id=8 if n % 3 == 1 else None,
            outcome_name="No Answer" if n % 3 == 1 else "",
        )
        for n in range(actions)
    )
    return team.pk, [p.pk for p in profiles]


def act(team_id: int, agent_id: int, n: int) -> None:
    """An agent's action as stored: a log entry and a new session version."""
    ActionLog.objects.create(
        agent_id=agent_id,
        team_id=team_id,
        kind="skip",
        campaign_group=GROUP,
        outcome_id=8,
        outcome_name="No Answer",
        lcm_key=f"9|9|{n}|0|0|84|{n}",
    )
    AgentSession.objects.filter(agent_id=agent_id).update(version=F("version") + 1)


async def push(team_id: int, agent_id: int, charts: bool, langs: list[str]) -> None:
    if INCREMENTAL:
        change = live.Change(agents={agent_id}, queues={GROUP}, feed=True, charts=charts)
        await live.render_team_changes_in(team_id, change, langs)
    else:
        await live.render_team_changes_in(team_id, {agent_id}, langs)  # type: ignore[arg-type]  # an older checkout


async def measure(team_id: int, agent_ids: list[int], changes: int, every: int) -> list[float]:
    langs = languages()
    times = []
    for n in range(changes):
        agent_id = agent_ids[n % len(agent_ids)]
        await asyncio.to_thread(act, team_id, agent_id, n)
        started = time.perf_counter()
        await push(team_id, agent_id, n % every == 0, langs)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=150)
    parser.add_argument("--charts-every", type=int, default=3)
    args = parser.parse_args()
    team_id, agent_ids = seed(args.agents, args.actions)
    asyncio.run(measure(team_id, agent_ids, 10, args.charts_every))  # warm up
    times = asyncio.run(measure(team_id, agent_ids, args.changes, args.charts_every))
    kind = (
        f"incremental (charts on one change in {args.charts_every})"
        if INCREMENTAL
        else "whole (rows, every queue, feed, charts on every change)"
    )
    load = os.getloadavg()[0]
    print(
        f"monitor push, {kind}; {args.agents} agents, {args.actions} actions today, "
        f"{len(languages())} languages, load {load:.1f}: p50 {statistics.median(times):.1f} ms, "
        f"mean {statistics.fmean(times):.1f} ms over {len(times)} pushes"
    )


if __name__ == "__main__":
    main()
