"""What the compliance guards cost per render of an agent's screen with a contact on it.

Both sides in one run, interleaved: the live fragments rendered with the guards (campaign
policy, do-not-call lookup among --dnc listed numbers, consent evidence, preview limit, the
confirmation lookup) and with the guards answered from memory (what rendering cost before
they existed). Prints per-render medians, queries per render and the ratio.

    python -m bench.compliance_overhead --renders 300 --dnc 100000 [--postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import contextmanager
from unittest import mock

EASTERN = "(UTC-05:00) Eastern Time (US and Canada)"
PARSER = argparse.ArgumentParser()
PARSER.add_argument("--renders", type=int, default=300)
PARSER.add_argument("--rounds", type=int, default=5)
PARSER.add_argument("--dnc", type=int, default=100_000, help="numbers on the do-not-call list")
PARSER.add_argument("--postgres", action="store_true", help="BENCH_POSTGRES_URL instead of SQLite")


def _setup(postgres: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
    os.environ["AGENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="agentdesk-bench-")
    os.environ.pop("REDIS_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    if postgres:
        from bench.harness import PG_URL, _recreate_postgres_database

        _recreate_postgres_database()
        os.environ["DATABASE_URL"] = PG_URL
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(listed: int):
    from datetime import timedelta

    from asgiref.sync import async_to_sync
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from agentdesk.compliance.models import CampaignPolicy, DoNotCallEntry, PreviewLimit
    from agentdesk.desk import actions
    from agentdesk.desk.models import AgentProfile, AgentSession
    from agentdesk.lcm import messages as m
    from agentdesk.lcm.xmlfields import ContactMode
    from agentdesk.lcmsim import demo, service
    from agentdesk.teams.models import Team

    demo.seed_outcomes()
    demo.seed_campaigns()
    demo.assign_agents({"bench@bench": ["Sales Manual Group"]})
    user = get_user_model().objects.create(username="bench", password="!")
    profile = AgentProfile.objects.create(
        user=user,
        lcm_agent_id="bench@bench",
        team=Team.objects.create(name="Bench"),
        campaign_groups=["Sales Manual Group"],
    )
    DoNotCallEntry.objects.bulk_create(
        DoNotCallEntry(number=f"+1303{n:07d}", added_by="bench") for n in range(listed)
    )
    CampaignPolicy.objects.create(campaign="Spring Renewals", calling_hours="confirm")
    PreviewLimit.objects.create(campaign_group="Sales Manual Group", seconds=60, on_expiry="flag")
    now = timezone.localtime().replace(tzinfo=None)
    service.create_contact(
        m.CreateContact(
            campaign_id="Spring Renewals",
            call_start=now - timedelta(minutes=1),
            call_end=now + timedelta(days=5),
            business_fields={"last_name": "Bench"},
            modes=(ContactMode("Home", "2025550199", EASTERN),),
            status=0,
        )
    )
    result = async_to_sync(actions.next_contact)(
        profile, campaign_group="Sales Manual Group", consent="Both"
    )
    assert result.ok, result.message
    session = AgentSession.objects.select_related("agent__user", "agent__team").get(agent=profile)
    return profile, session


@contextmanager
def _guards_from_memory(session):
    """The guards' answers computed once and served without queries."""
    from agentdesk.compliance import rules
    from agentdesk.desk import presenters, rendering
    from agentdesk.desk.contact import contact_of

    contact = contact_of(session)
    assert contact is not None
    verdict = rules.evaluate(contact)
    with (
        mock.patch.object(presenters.rules, "evaluate", lambda contact, now=None: verdict),
        mock.patch.object(rendering.rules, "preview_limit_for", lambda group: None),
        mock.patch.object(rendering.state, "dial_confirmed_at", lambda s: None),
    ):
        yield


def _time(render, count: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(count):
            start = time.perf_counter()
            render()
            times.append((time.perf_counter() - start) * 1000)
    return times, len(queries) // count


def main() -> None:
    args = PARSER.parse_args()
    _setup(args.postgres)
    from asgiref.sync import async_to_sync

    from agentdesk.desk.lookups import group_choices, outcome_menu
    from agentdesk.desk.rendering import render_live

    profile, session = _world(args.dnc)
    menu = async_to_sync(outcome_menu)()
    groups = async_to_sync(group_choices)(profile)

    def render() -> None:
        render_live(session, menu, groups)

    with_guards, without = [], []
    per_render = {}
    for _ in range(args.rounds):
        times, per_render["with"] = _time(render, args.renders // args.rounds)
        with_guards += times
        with _guards_from_memory(session):
            times, per_render["without"] = _time(render, args.renders // args.rounds)
        without += times
    on, off = statistics.median(with_guards), statistics.median(without)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"compliance overhead ({database}, {args.dnc} numbers listed, "
        f"{len(with_guards)} renders each side)"
    )
    print(f"  render with guards:    p50 {on:6.2f} ms, {per_render['with']} queries")
    print(f"  render without guards: p50 {off:6.2f} ms, {per_render['without']} queries")
    print(f"  ratio with/without:    {on / off:.2f}x  (+{on - off:.2f} ms per render)")


if __name__ == "__main__":
    main()
