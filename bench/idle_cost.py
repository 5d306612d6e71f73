"""Idle cost: what idle agent pages send the server. Real Chromium pages (Playwright) are
logged in and left alone; every HTTP request and websocket frame they send is counted, and
the server's access log is read for the same window. Per page, then for 1,000 pages.

    .venv/bin/python -m bench.idle_cost [--pages 20] [--seconds 60]
"""

import argparse
import time
from pathlib import Path

from playwright.sync_api import WebSocket, sync_playwright

from . import harness

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with harness.workspace() as env:
        world = harness.setup_world(env, agents=args.pages, contacts=10)
        app = harness.daphne(env)
        counts = {"http": 0, "ws_frames": 0, "ws_frames_before": 0}
        counting = [False]

        def count(kind: str) -> None:
            if counting[0]:
                counts[kind] += 1
            elif kind == "ws_frames":
                counts["ws_frames_before"] += 1

        def count_frames(ws: WebSocket) -> None:
            ws.on("framesent", lambda _frame: count("ws_frames"))

        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                pages = []
                for agent in world["agents"]:
                    context = browser.new_context()
                    context.add_cookies(
                        [{"name": "sessionid", "value": agent["session"], "url": app.url}]
                    )
                    page = context.new_page()
                    page.on("request", lambda _r: count("http"))
                    page.on("websocket", count_frames)
                    page.goto(app.url + "/")
                    page.wait_for_selector("#live-status[data-state=live]")
                    pages.append(page)
                log = Path(app.log.name)
                log_lines_before = len(log.read_text().splitlines())
                counting[0] = True
                started = time.monotonic()
                while time.monotonic() - started < args.seconds:
                    pages[0].wait_for_timeout(1000)  # lets Playwright deliver events
                server_lines = [
                    line
                    for line in log.read_text().splitlines()[log_lines_before:]
                    if '"GET' in line or '"POST' in line
                ]
                idle = dict(counts)
                # Positive control: one page acts, and the counters must see it.
                pages[0].keyboard.press("n")
                pages[0].wait_for_timeout(1500)
                control = counts["http"] - idle["http"]
                counting[0] = False
                counts.update(idle)
                live = sum(p.get_attribute("#live-status", "data-state") == "live" for p in pages)
                browser.close()
        finally:
            app.stop()
    per_page = (counts["http"] + counts["ws_frames"]) / args.pages / args.seconds
    print(
        f"{args.pages} idle agent pages in Chromium for {args.seconds:g} s "
        f"({live} still live at the end):"
    )
    print(f"  control: one key press on one page was counted as {control} HTTP request(s)")
    print(
        f"  sent {counts['http']} HTTP requests and {counts['ws_frames']} websocket frames; "
        f"the server logged {len(server_lines)} HTTP requests"
    )
    print(
        f"  {per_page:.4f} requests/s per page → {per_page * 1000:.2f} requests/s for 1,000 "
        "pages (a page polling every second: 1,000 requests/s)"
    )


if __name__ == "__main__":
    main()
