"""Shared pieces of the benchmarks: a throwaway data directory, servers, cookies, statistics."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from agentdesk.serving.daphne import DAPHNE_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/agentdesk_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def workspace(*, postgres: bool = False, redis: bool = False, **extra: str):
    """An environment for servers: its own data directory (SQLite) or a fresh PostgreSQL
    database, optionally Redis, a shared secret key."""
    data_dir = Path(tempfile.mkdtemp(prefix="agentdesk-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")}
    env.update(
        AGENTDESK_DATA_DIR=str(data_dir),
        SECRET_KEY=secrets.token_urlsafe(40),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if postgres:
        _recreate_postgres_database()
        env["DATABASE_URL"] = PG_URL
    if redis:
        env["REDIS_URL"] = REDIS_URL
    try:
        yield env
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _recreate_postgres_database() -> None:
    import psycopg

    base, _, name = PG_URL.rpartition("/")
    with psycopg.connect(
        base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_world(env: dict[str, Any], **options: int) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.setup_world"]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Process:
    def __init__(self, args: list[str], env: dict[str, Any], port: int, ready: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="bench-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + ready, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{args} did not start; see {self.log.name}")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def daphne(
    env: dict[str, Any],
    app: str = "agentdesk.asgi:application",
    options: tuple[str, ...] = DAPHNE_OPTIONS,
    **extra: str,
) -> Process:
    """A worker started as `manage.py serve` starts it (the same Daphne options)."""
    port = free_port()
    return Process(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *options, app],
        {**env, **extra},
        port,
        "/healthz" if app.startswith("agentdesk") else "/",
    )


def lcmsim(env: dict[str, Any]) -> Process:
    port = free_port()
    return Process(["manage.py", "lcmsim", "--port", str(port)], env, port, "/lcm")


def agent_headers(session: str) -> dict[str, str]:
    csrf = secrets.token_hex(16)
    return {
        "Cookie": f"sessionid={session}; csrftoken={csrf}",
        "X-CSRFToken": csrf,
        "HX-Request": "true",
    }


def shown_in(html: str) -> dict[str, str]:
    """The contact the page last rendered in `html` names (its hidden fields): what the page
    sends with an action about the contact on screen (Skip)."""
    found: dict[str, str] = {}
    for name in ("contact_key", "session_version"):
        values = re.findall(rf'name="{name}" value="([^"]*)"', html)
        if values:
            found[name] = htmllib.unescape(values[-1])
    return found


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    """median [min–max] of several runs."""
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def duplicates_handed_out(env: dict[str, Any]) -> tuple[int, int]:
    """(contacts handed out, handed out more than once) according to the action log."""
    code = (
        "from agentdesk.desk.models import ActionLog as A;"
        "from django.db.models import Count;"
        "q=A.objects.filter(kind__in=['next','reserved'],ok=True).exclude(lcm_key='');"
        "keys=q.values('lcm_key').annotate(n=Count('pk'));"
        "ag=q.values('lcm_key').annotate(n=Count('agent',distinct=True)).filter(n__gt=1).count();"
        "print(q.count(), ag)"
    )
    out = (
        subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.splitlines()[-1]
        .split()
    )
    return int(out[0]), int(out[1])
