"""What saving an action's result costs on PostgreSQL: the retired-key check, the session row's
UPDATE and the log entry's INSERT as one statement (`state.release_and_log`), against the same
writes as before, statement by statement in a transaction (the key's check, BEGIN, UPDATE,
INSERT, COMMIT). In-process, on a fresh PostgreSQL database (`BENCH_POSTGRES_URL`), both sides
interleaved in one run; each measured save takes the agent's turn first (not timed).

    .venv/bin/python -m bench.action_writes [--saves 300] [--rounds 5]
"""

import argparse
import os
import statistics
import tempfile
import time

from . import harness

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
os.environ["AGENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-action-writes-")
os.environ["DATABASE_URL"] = harness.PG_URL
harness._recreate_postgres_database()

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from agentdesk.desk import state  # noqa: E402
from agentdesk.desk.models import ActionLog, AgentProfile, AgentSession  # noqa: E402
from agentdesk.retiredkeys.models import is_retired  # noqa: E402

CONTACT = {"AccountNumber": "1|1|7|0|0|84|7", "PhoneNumber": "2025550199", "CampaignId": "C1"}


def one_statement(session: AgentSession, token: str, n: int) -> None:
    state.release_and_log(
        session,
        token,
        ActionLog.NEXT,
        {"lcm_key": f"1|1|{n}|0|0|84|1", "ok": True},
        {"state": AgentSession.PREVIEWING, "contact": CONTACT},
        unless_retired=f"1|1|{n}|0|0|84|1",
    )


def statement_by_statement(session: AgentSession, token: str, n: int) -> None:
    """The writes as the action made them before (agentdesk/desk/actions.py)."""
    if is_retired(f"1|1|{n}|0|0|84|1"):
        return
    with transaction.atomic():
        state.release(session, token, state=AgentSession.PREVIEWING, contact=CONTACT)
        state.write_log(session.agent, ActionLog.NEXT, lcm_key=f"1|1|{n}|0|0|84|1", ok=True)


def measure(profile: AgentProfile, save, saves: int, offset: int) -> list[float]:
    times = []
    for n in range(saves):
        session, token = state.acquire(profile)
        started = time.perf_counter()
        save(session, token, offset + n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create(username="writes", password="!")
    profile = AgentProfile.objects.create(user=user, lcm_agent_id="writes@bench")
    state.session_for(profile)
    measure(profile, one_statement, 20, 0)  # warm up
    measure(profile, statement_by_statement, 20, 0)
    one, before = [], []
    for r in range(args.rounds):  # interleaved: both sides see the same machine load
        before += measure(profile, statement_by_statement, args.saves, (2 * r + 1) * 10**6)
        one += measure(profile, one_statement, args.saves, (2 * r + 2) * 10**6)
    load = os.getloadavg()[0]
    p50_before, p50_one = statistics.median(before), statistics.median(one)
    print(f"an action's save + log on PostgreSQL, {len(one)} saves a side, load {load:.1f}:")
    print(
        f"  statement by statement (5 round trips): p50 {p50_before:.2f} ms, "
        f"mean {statistics.fmean(before):.2f} ms"
    )
    print(
        f"  one statement (1 round trip):           p50 {p50_one:.2f} ms, "
        f"mean {statistics.fmean(one):.2f} ms  ratio {p50_one / p50_before:.2f}"
    )


if __name__ == "__main__":
    main()
