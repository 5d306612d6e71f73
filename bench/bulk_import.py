"""Bulk import: a team lead imports a 10,000-row CSV through the real server while an agent
keeps using it; the import's duration, and the agent's latency before and during it.

    .venv/bin/python -m bench.bulk_import [--rows 10000]
"""

import argparse
import asyncio
import csv
import io
import re
import time

import httpx

from . import harness
from .harness import pct


def make_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "FirstName", "DiallerCampaignsName", "PhoneNumber1", "UserData"])
    for n in range(rows):
        writer.writerow([f"Last{n}", f"First{n}", "Spring Renewals", f"2027{n:06d}", f"crm-{n}"])
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


async def run(app, world: dict, rows: int) -> dict:
    lead = world["leads"][0]
    lead_headers = harness.agent_headers(lead["session"])
    agent_headers = harness.agent_headers(world["agents"][0]["session"])
    del agent_headers["HX-Request"]
    async with (
        httpx.AsyncClient(base_url=app.url, timeout=120) as lead_client,
        httpx.AsyncClient(base_url=app.url, timeout=120, headers=agent_headers) as agent,
    ):
        deadline = time.monotonic() + 5
        before = await probe(agent, lambda: time.monotonic() > deadline)
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
                    return page.text
                await asyncio.sleep(0.5)

        watcher = asyncio.create_task(watch())
        during = await probe(agent, lambda: state["done"])
        final = await watcher
        import_seconds = time.perf_counter() - import_started
    created = re.search(r"created <strong>(\d+)</strong>", final)
    return {
        "preview_s": preview_seconds,
        "import_s": import_seconds,
        "created": int(created.group(1)) if created else 0,
        "before_p50": pct(before, 50),
        "before_p99": pct(before, 99),
        "during_p50": pct(during, 50),
        "during_p99": pct(during, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    with harness.workspace() as env:
        world = harness.setup_world(env, agents=2, contacts=10, monitors=1)
        app = harness.daphne(env)
        try:
            result = asyncio.run(run(app, world, args.rows))
        finally:
            app.stop()
    print(f"bulk import of {args.rows} rows (SQLite, LCM embedded), one worker:")
    print(
        f"  upload + preview (every row checked) {result['preview_s']:.1f} s; import "
        f"{result['import_s']:.1f} s = {result['created'] / result['import_s']:.0f} rows/s; "
        f"{result['created']} created"
    )
    print(
        f"  an agent's page load meanwhile: p50 {result['during_p50']:.0f} ms, p99 "
        f"{result['during_p99']:.0f} ms (before the import: p50 {result['before_p50']:.0f}, "
        f"p99 {result['before_p99']:.0f})"
    )


if __name__ == "__main__":
    main()
