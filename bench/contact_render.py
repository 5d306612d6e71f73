"""What reading the contact on screen costs a render of the agent's screen, before and after it
was kept in agentdesk's own shape (desk/contact.py) instead of LCM's wire format.

Both sides in one run, rounds alternating: each round renders the live fragments of an agent
with a contact on screen (`rendering.render_live`, the same call in both versions) in a fresh
process of each checkout — `--before DIR` is a checkout of the earlier version, read from its
own code and templates on its own SQLite database — and reports per-render medians. In this
checkout it also times reading the contact alone: LCM's wire format parsed
(`Contact.from_response`, what every render and action did) against the stored shape read
back (`ContactOnScreen.from_stored`).

    python -m bench.contact_render [--before ../before] [--renders 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
PARSER = argparse.ArgumentParser()
PARSER.add_argument(
    "--before", type=Path, help="a checkout of the earlier version (without: this one alone)"
)
PARSER.add_argument("--renders", type=int, default=400, help="renders per side and round")
PARSER.add_argument("--rounds", type=int, default=3)
PARSER.add_argument("--child", action="store_true", help=argparse.SUPPRESS)


def _child(renders: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentdesk.settings")
    os.environ["AGENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="agentdesk-bench-")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agentdesk.desk.lookups import group_choices, outcome_menu
    from agentdesk.desk.rendering import render_live
    from bench.compliance_overhead import _world

    call_command("migrate", verbosity=0)
    profile, session = _world(100)
    menu = async_to_sync(outcome_menu)()
    groups = async_to_sync(group_choices)(profile)
    for _ in range(20):  # templates compiled, caches warm
        render_live(session, menu, groups)
    times = []
    with CaptureQueriesContext(connection) as queries:
        for _ in range(renders):
            start = time.perf_counter()
            render_live(session, menu, groups)
            times.append((time.perf_counter() - start) * 1000)
    figures: dict[str, Any] = {"render_ms": times, "queries": len(queries) // renders}
    figures.update(_reads(session.contact))
    return figures


def _reads(stored: dict[str, Any]) -> dict[str, float]:
    """Microseconds to read the contact: LCM's wire format parsed, the stored shape read."""
    try:
        from agentdesk.desk.contact import ContactOnScreen
    except ImportError:  # the earlier version
        return {}
    from agentdesk.lcm.messages import Contact

    contact = ContactOnScreen.from_stored(stored)
    wire = contact.to_lcm().to_response()
    count = 20_000

    def each(read: Any, data: dict[str, Any]) -> float:
        start = time.perf_counter()
        for _ in range(count):
            read(data)
        return (time.perf_counter() - start) / count * 1e6

    return {
        "parse_wire_us": each(Contact.from_response, wire),
        "read_stored_us": each(ContactOnScreen.from_stored, stored),
    }


def _run_side(checkout: Path, renders: int) -> dict[str, Any]:
    """One round of one side: this script in a fresh process that imports `agentdesk` (and
    `bench`) from `checkout`."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    command = [sys.executable, __file__, "--child", "--renders", str(renders)]
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{checkout}: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    args = PARSER.parse_args()
    if args.child:
        print(json.dumps(_child(args.renders)))
        return
    sides = {"after": HERE}
    if args.before is not None:
        sides = {"before": args.before.resolve(), "after": HERE}
    times: dict[str, list[float]] = {side: [] for side in sides}
    round_p50s: dict[str, list[float]] = {side: [] for side in sides}
    queries: dict[str, int] = {}
    reads: dict[str, list[float]] = {"parse_wire_us": [], "read_stored_us": []}
    for _ in range(args.rounds):
        for side, checkout in sides.items():
            figures = _run_side(checkout, args.renders)
            times[side] += figures["render_ms"]
            round_p50s[side].append(statistics.median(figures["render_ms"]))
            queries[side] = figures["queries"]
            for name in reads:
                if name in figures:
                    reads[name].append(figures[name])
    load = os.getloadavg()[0]
    print(f"contact render ({args.rounds} rounds × {args.renders} renders a side, load {load:.2f})")
    for side in sides:
        p50 = statistics.median(times[side])
        p90 = statistics.quantiles(times[side], n=10)[-1]
        print(f"  {side:6}: render p50 {p50:6.3f} ms, p90 {p90:6.3f} ms, {queries[side]} queries")
    if "before" in sides:
        pairs = zip(round_p50s["after"], round_p50s["before"], strict=True)
        ratios = sorted(after / before for after, before in pairs)
        ratio = statistics.median(ratios)
        print(
            f"  after/before (round p50s): median {ratio:.3f}, "
            f"range {ratios[0]:.3f}–{ratios[-1]:.3f}"
        )
    wire = statistics.median(reads["parse_wire_us"])
    stored = statistics.median(reads["read_stored_us"])
    print(f"  reading the contact: wire format parsed {wire:.1f} µs, stored shape {stored:.1f} µs")


if __name__ == "__main__":
    main()
