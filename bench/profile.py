"""py-spy on a benchmark's worker while it is under load, summarised as the top entries.

    with profiled(worker, "action_cost") as profile:
        ...load...
    print(profile.report())

Samples are py-spy's collapsed stacks ("frame;frame;…;leaf count"); the summary counts each
function once per sample, inclusive (anywhere on the stack) and self (the leaf), as a share
of all samples. Idle threads are not sampled, so the shares are of the worker's busy time.
The raw stacks stay next to the benchmark's logs for a closer look (e.g. with speedscope).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>.+?)(?::\d+)?\)$")


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profile:
    def __init__(self, name: str, path: Path | None) -> None:
        self.name = name
        self.path = path

    def stacks(self) -> Counter[tuple[str, ...]]:
        """Busy samples only: threads parked waiting for work are dropped."""
        found: Counter[tuple[str, ...]] = Counter()
        if self.path is None or not self.path.exists():
            return found
        for line in self.path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                frames = tuple(frame.strip() for frame in stack.split(";"))
                if not _parked(_short(frames[-1])):
                    found[frames] += int(count)
        return found

    def areas(self) -> list[tuple[str, float]]:
        """Share of busy samples by what the innermost recognisable frame belongs to."""
        stacks = self.stacks()
        total = sum(stacks.values()) or 1
        counts: Counter[str] = Counter()
        for stack, count in stacks.items():
            counts[_area(stack)] += count
        return [(area, 100 * n / total) for area, n in counts.most_common()]

    def report(self, top: int = 15) -> str:
        stacks = self.stacks()
        total = sum(stacks.values())
        if not total:
            return f"  profile {self.name}: no samples (py-spy missing or not permitted)"
        inclusive: Counter[str] = Counter()
        leaf: Counter[str] = Counter()
        for raw, count in stacks.items():
            stack = tuple(_short(frame) for frame in raw)
            for frame in set(stack):
                inclusive[frame] += count
            leaf[stack[-1]] += count
        lines = [
            f"  profile {self.name}: {total} samples of the busy worker ({self.path})",
            "    inclusive (on the stack)                                   self (leaf)",
        ]
        interesting = [(f, n) for f, n in inclusive.most_common() if not _plumbing(f)][:top]
        selfs = leaf.most_common(top)
        for row in range(max(len(interesting), len(selfs))):
            left = (
                f"{100 * interesting[row][1] / total:5.1f}% {interesting[row][0][:52]}"
                if row < len(interesting)
                else ""
            )
            right = (
                f"{100 * selfs[row][1] / total:5.1f}% {selfs[row][0][:60]}"
                if row < len(selfs)
                else ""
            )
            lines.append(f"    {left:60} {right}")
        lines.append(
            "    by area: " + ", ".join(f"{area} {share:.0f}%" for area, share in self.areas())
        )
        return "\n".join(lines)


def _short(frame: str) -> str:
    """'acquire (agentdesk/desk/state.py:40)' -> 'desk/state.py:acquire'."""
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    file = found["file"]
    for marker in ("site-packages/", "agentdesk/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    parts = file.split("/")
    return f"{'/'.join(parts[-2:])}:{found['func']}"


# Where a thread waits for work or for a lock: not busy (py-spy sees a Python leaf there
# because the wait itself is in C).
_PARKED = (
    "futures/thread.py:_worker",
    "threading.py:Condition.wait",
    "threading.py:Event.wait",
    "selectors.py:EpollSelector.select",
    "queue.py:Queue.get",
)


def _parked(frame: str) -> bool:
    return frame in _PARKED


# The first of these found walking from the leaf outwards names the sample's area.
_AREAS = (
    ("psycopg", "PostgreSQL driver (psycopg)"),
    ("sqlite3", "SQLite"),
    ("django/db/", "Django ORM"),
    ("django/template", "templates"),
    ("redis/", "Redis client"),
    ("channels_redis", "channel layer"),
    ("httpcore", "HTTP client (httpx)"),
    ("httpx", "HTTP client (httpx)"),
    ("asgiref", "thread hops (asgiref)"),
    ("concurrent/futures", "thread hops (asgiref)"),
    ("django/contrib/sessions", "sessions/auth"),
    ("django/contrib/auth", "sessions/auth"),
    ("django/middleware", "middleware"),
    ("django/core/handlers", "request handling"),
    ("django/", "Django other"),
    ("agentdesk/", "agentdesk code"),
    ("channels/", "Channels"),
    ("daphne", "Daphne/Twisted"),
    ("twisted", "Daphne/Twisted"),
    ("autobahn", "Daphne/Twisted"),
    ("asyncio", "event loop"),
)


def _area(stack: tuple[str, ...]) -> str:
    for frame in reversed(stack):
        for marker, area in _AREAS:
            if marker in frame:
                return area
    return "other"


# Frames every sample passes through; they say nothing about where the time goes.
_PLUMBING = (
    "threading.py:",
    "asyncio/",
    "concurrent/futures/thread.py:",
    "twisted/",
    "daphne/cli.py",
    "daphne/server.py",
    "<module>",
    "<frozen runpy>",
    "asyncioreactor.py",
    "base_events",
)


def _plumbing(frame: str) -> bool:
    return any(marker in frame for marker in _PLUMBING)


@contextmanager
def profiled(process, name: str, enabled: bool = True, gil: bool = False):
    """Sample `process` (a harness.Process) with py-spy for the duration of the block; with
    `gil`, only the threads holding the GIL (where the worker's CPU goes, not its waits)."""
    tool = py_spy() if enabled else None
    if tool is None:
        yield Profile(name, None)
        return
    out = Path(tempfile.mkstemp(prefix=f"bench-profile-{name}-", suffix=".txt")[1])
    spy = subprocess.Popen(
        [
            tool,
            "record",
            "--pid",
            str(process.process.pid),
            "--format",
            "raw",
            "--rate",
            "100",
            "--nonblocking",
            "--output",
            str(out),
            *(["--gil"] if gil else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    profile = Profile(name, out)
    try:
        yield profile
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
        if os.path.getsize(out) == 0:
            profile.path = None
