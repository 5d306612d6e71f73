"""Bulk import: a team lead imports a 10,000-row CSV through the real server while an agent
keeps loading their page; the import's duration, and the agent's latency idle and during it,
measured side by side in one run.

Scaled set-up by default: PostgreSQL (BENCH_POSTGRES_URL), LCM as its own simulator process
over HTTP, one Daphne worker and one job runner (`jobs_worker`).

    .venv/bin/python -m bench.bulk_import [--rows 10000] [--sqlite] [--concurrency 8]
"""

import argparse
import asyncio
import csv
import io
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import httpx

from . import harness
from .harness import ROOT, pct


def make_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "FirstName", "DiallerCampaignsName", "PhoneNumber1", "UserData"])
    for n in range(rows):
        writer.writerow(
            [f"Last{n}", f"First{n}", "Spring Renewals", f"(202) 5{n:06d}"[:14], f"crm-{n}"]
        )
    return out.getvalue().encode()


async def probe(client: httpx.AsyncClient, until) -> list[float]:
    samples = []
    while not until():
        started = time.perf_counter()
        response = await client.get("/")
        assert response.status_code == 200
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)
    return samples


async def run(app, world: dict[str, Any], rows: int) -> dict[str, Any]:
    lead = world["leads"][0]
    lead_headers = harness.agent_headers(lead["session"])
    agent_headers = harness.agent_headers(world["agents"][0]["session"])
    del agent_headers["HX-Request"]
    async with (
        httpx.AsyncClient(base_url=app.url, timeout=300) as lead_client,
        httpx.AsyncClient(base_url=app.url, timeout=120, headers=agent_headers) as agent,
    ):
        deadline = time.monotonic() + 15
        idle = await probe(agent, lambda: time.monotonic() > deadline)
        started = time.perf_counter()
        upload = await lead_client.post(
            f"/imports/{lead['team']}/",
            headers=lead_headers,
            files={"file": ("contacts.csv", make_csv(rows), "text/csv")},
            data={"overwrite": "on"},
        )
        assert upload.status_code == 302, upload.text[:500]
        job_url = upload.headers["location"]
        preview_seconds = time.perf_counter() - started
        start = await lead_client.post(job_url + "start", headers=lead_headers)
        assert start.status_code == 302
        import_started = time.perf_counter()
        state = {"done": False}

        async def watch():
            while True:
                page = await lead_client.get(job_url, headers=lead_headers)
                if 'data-state="done"' in page.text:
                    state["done"] = True
                    return
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        during = await probe(agent, lambda: state["done"])
        await watcher
        import_seconds = time.perf_counter() - import_started
        results = await lead_client.get(job_url + "results.csv", headers=lead_headers)
    outcomes = count_results(results, rows)
    return {
        "preview_s": preview_seconds,
        "import_s": import_seconds,
        "created": outcomes.get("created", 0),
        "outcomes": outcomes,
        "idle_p50": pct(idle, 50),
        "idle_p99": pct(idle, 99),
        "idle_n": len(idle),
        "during_p50": pct(during, 50),
        "during_p99": pct(during, 99),
        "during_n": len(during),
    }


def count_results(response: httpx.Response, rows: int) -> Counter[str]:
    """Rows by result, from the job's results CSV (one line per row of the file); exits when
    it cannot be read or does not account for every row, so a run never reports 0 created."""
    if response.status_code != 200:
        sys.exit(f"the results CSV answered HTTP {response.status_code}: {response.text[:300]}")
    outcomes = Counter(row["result"] for row in csv.DictReader(io.StringIO(response.text)))
    if sum(outcomes.values()) != rows:
        sys.exit(f"the results CSV has {sum(outcomes.values())} rows, not {rows}: {outcomes}")
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--sqlite", action="store_true", help="embedded SQLite, LCM in-process")
    parser.add_argument("--concurrency", type=int, default=8, help="IMPORT_CONCURRENCY")
    args = parser.parse_args()
    with harness.workspace(
        postgres=not args.sqlite, IMPORT_CONCURRENCY=str(args.concurrency)
    ) as env:
        world = harness.setup_world(env, agents=2, contacts=10, monitors=1)
        sim = None
        if not args.sqlite:
            sim = harness.lcmsim(env)
            env = {**env, "LCM_URL": f"{sim.url}/lcm", "LCM_TIMEOUT_SECONDS": "10"}
        app = harness.daphne(env)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "jobs_worker", "--no-reload", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            result = asyncio.run(run(app, world, args.rows))
        finally:
            worker.terminate()
            worker.wait(15)
            app.stop()
            if sim:
                sim.stop()
    mode = (
        "SQLite, LCM embedded"
        if args.sqlite
        else f"PostgreSQL, LCM over HTTP, {args.concurrency} rows at once"
    )
    print(f"bulk import of {args.rows} rows ({mode}), one Daphne worker + one job runner:")
    print(
        f"  upload + preview (every row checked) {result['preview_s']:.1f} s; import "
        f"{result['import_s']:.1f} s = {result['created'] / result['import_s']:.0f} rows/s; "
        f"{result['created']} created"
    )
    if result["created"] != args.rows:
        print(f"  NOT every row was created: {dict(result['outcomes'])}")
    print(
        f"  an agent's page load idle: p50 {result['idle_p50']:.0f} ms, p99 "
        f"{result['idle_p99']:.0f} ms ({result['idle_n']} loads); during the import: p50 "
        f"{result['during_p50']:.0f} ms, p99 {result['during_p99']:.0f} ms "
        f"({result['during_n']} loads)"
    )
    print(
        f"  ratio during/idle: p50 {result['during_p50'] / result['idle_p50']:.2f}x, "
        f"p99 {result['during_p99'] / result['idle_p99']:.2f}x (goal p99 <= 1.5x)"
    )


if __name__ == "__main__":
    main()
