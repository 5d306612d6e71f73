"""What rendering each monitor push once per language costs: a team of agents with a day of
actions, one agent changes; the monitor fragments for that change rendered in English only
against rendered in every configured language from one set of queries (what the push does).
In-process, on a fresh SQLite file, both sides in one run, interleaved.

    .venv/bin/python -m bench.monitor_languages [--agents 50] [--actions 2000] [--changes 300]
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
os.environ["AGENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-languages-")
os.environ.pop("DATABASE_URL", None)

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import translation  # noqa: E402

from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession  # noqa: E402
from agentdesk.language.sockets import languages  # noqa: E402
from agentdesk.monitor.live import Change, render_team_changes, render_team_changes_in  # noqa: E402
from agentdesk.teams.models import Team  # noqa: E402

GROUP = "Sales Manual Group"


def seed(agents: int, actions: int) -> tuple[int, list[int]]:
    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="Bench")
    profiles = []
    for n in range(agents):
        user = get_user_model().objects.create(username=f"lang{n}", password="!")
        profile = AgentProfile.objects.create(
            user=user, lcm_agent_id=f"lang{n}@bench", team=team, campaign_groups=[GROUP]
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


async def timed(team_id: int, agent_ids: list[int], changes: int, langs: list[str]) -> list[float]:
    """ms per change: one language rendered as before, or every language from one query set."""
    times = []
    for n in range(changes):
        # An action: the agent's row, their queue, the feed and the charts.
        changed = Change(
            agents={agent_ids[n % len(agent_ids)]}, queues={GROUP}, feed=True, charts=True
        )
        started = time.perf_counter()
        if langs == ["en"]:
            with translation.override("en"):
                await render_team_changes(team_id, changed)
        else:
            await render_team_changes_in(team_id, changed, langs)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    team_id, agent_ids = seed(args.agents, args.actions)
    every = languages()
    asyncio.run(timed(team_id, agent_ids, 20, every))  # warm up caches and templates
    # Interleaved rounds so both sides see the same machine load.
    one, all_ = [], []
    for _ in range(5):
        one += asyncio.run(timed(team_id, agent_ids, args.changes // 5, ["en"]))
        all_ += asyncio.run(timed(team_id, agent_ids, args.changes // 5, every))
    p50_one, p50_all = statistics.median(one), statistics.median(all_)
    print(f"monitor push render, {args.agents} agents, {args.actions} actions today")
    print(f"  English only:            p50 {p50_one:.1f} ms")
    print(f"  every language ({len(every)}): p50 {p50_all:.1f} ms  ratio {p50_all / p50_one:.2f}")


if __name__ == "__main__":
    main()
