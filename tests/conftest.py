import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

from .faulty_lcm import FaultyLcm

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database the tests run on, for server subprocesses to share it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url(),
        SECRET_KEY=settings.SECRET_KEY,
        PYTHONUNBUFFERED="1",
        # The tests' servers may run the bundled simulator (see agentdesk.E001); `serve` is
        # always given --no-demo.
        AGENTDESK_DEMO="1",
        # Tests change policies in the database behind the server's back.
        COMPLIANCE_CACHE_SECONDS="0",
        # The tests' webhook receivers listen on loopback.
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The test database (pytest-django's), and a cheaper reset between transactional tests.

    After every transactional test Django empties every table and then sends `post_migrate`,
    whose only receivers here (contenttypes, auth) rebuild the content types and permissions
    one app at a time. The rows they build are always the same, so they are read once after
    the migrations and put back in two INSERTs instead; anything else listening to
    `post_migrate` still hears it. Measured on a quiet machine, per test: SQLite 21 ms → 4 ms,
    PostgreSQL 143 ms → 99 ms (31 ms → 5 ms of CPU)."""
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.commands import flush as flush_command
    from django.db import connection
    from django.db.models.signals import post_migrate

    # Remembered to be dropped for sure at the end (pytest_sessionfinish).
    _made_databases.add(connection.settings_dict["NAME"])
    flush: Any = flush_command  # its emit_post_migrate_signal is not in the type stubs
    with django_db_blocker.unblock():
        content_types = list(ContentType.objects.values())
        permissions = list(Permission.objects.values())
    send_post_migrate = flush.emit_post_migrate_signal
    auth_uid = "django.contrib.auth.management.create_permissions"

    def restore_then_signal(verbosity: int, interactive: bool, db: str, **kwargs: Any) -> None:
        ContentType.objects.using(db).bulk_create(ContentType(**row) for row in content_types)
        Permission.objects.using(db).bulk_create(Permission(**row) for row in permissions)
        ContentType.objects.clear_cache()
        post_migrate.disconnect(create_contenttypes)
        post_migrate.disconnect(create_permissions, dispatch_uid=auth_uid)
        try:
            send_post_migrate(verbosity, interactive, db, **kwargs)
        finally:
            post_migrate.connect(create_contenttypes)
            post_migrate.connect(create_permissions, dispatch_uid=auth_uid)

    flush.emit_post_migrate_signal = restore_then_signal
    try:
        yield
    finally:
        flush.emit_post_migrate_signal = send_post_migrate


class Server:
    def __init__(
        self,
        args: list[str],
        port: int,
        env: dict[str, str],
        ready_path: str,
        start_timeout: float = 30,
    ) -> None:
        self.port = port
        self._start_args = (args, env, ready_path)
        self.url = f"http://127.0.0.1:{port}"
        self.start_timeout = start_timeout
        self._start()

    def _start(self) -> None:
        args, env, ready_path = self._start_args
        port = self.port
        self.log_path = ROOT / "var" / f"server-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                httpx.get(self.url + ready_path, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log()}")

    def restart(self) -> None:
        """Stop and start again on the same port (live connections drop meanwhile)."""
        self.stop()
        self._start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture(scope="module")
def proxy(lcmsim_server: Server) -> Iterator[FaultyLcm]:
    """An HTTP proxy in front of the simulator's server that can delay, drop, garble or rewrite
    LCM's answers (tests/faulty_lcm.py): agentdesk's real HTTP path against an LCM that fails."""
    faulty = FaultyLcm(lcmsim_server.url + "/lcm", free_port())
    yield faulty
    faulty.stop()


@pytest.fixture
def alice(agents: dict[str, Any]) -> Any:
    """A browser session of the agent alice (Django's test client, logged in)."""
    from django.test import Client

    client = Client()
    client.force_login(agents["alice"].user)
    return client


@pytest.fixture
def lcm_behind_proxy(proxy: FaultyLcm, settings: Any) -> Iterator[FaultyLcm]:
    """agentdesk talking HTTP to the simulator through `proxy`, every call going out (the
    circuit breaker has its own tests), the proxy passing everything until told otherwise."""
    settings.LCM_URL = proxy.url
    settings.LCM_TIMEOUT_SECONDS = 0.8
    settings.LCM_BREAKER_FAILURES = 100
    proxy.set("pass")
    proxy.slow_seconds = 1.5
    proxy.answers.clear()
    proxy.late.clear()
    proxy.late_share.clear()
    proxy.received.clear()
    yield proxy
    proxy.wait_until_idle()
    proxy.answers.clear()
    proxy.late.clear()
    proxy.late_share.clear()


@pytest.fixture(scope="session")
def lcmsim_server(django_db_setup, django_db_blocker) -> Iterator[Server]:
    """The LCM simulator as its own HTTP server, on the test database."""
    port = free_port()
    server = Server(
        ["manage.py", "lcmsim", "--host", "127.0.0.1", "--port", str(port)],
        port,
        server_env(),
        "/lcm",
    )
    yield server
    server.stop()


@pytest.fixture
def sim_world(transactional_db):
    """Simulator state: outcomes, two campaign groups with campaigns, agents a1…a3 assigned."""
    from agentdesk.lcmsim import demo

    demo.seed_outcomes()
    campaigns = demo.seed_campaigns()
    demo.assign_agents(
        {
            "a1@test": ["Sales Manual Group", "Service Manual Group"],
            "a2@test": ["Sales Manual Group"],
            "a3@test": ["Service Manual Group"],
        }
    )
    return campaigns


@pytest.fixture(autouse=True)
def _webhooks_reach_loopback(settings):
    """The tests' webhook receivers listen on 127.0.0.1 (tests/test_webhook_destinations.py
    narrows this again to show what is refused)."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture(autouse=True)
def _monitors_always_asked(settings):
    """In-process tests count every push a monitor gets: no remembered "nobody watches" and no
    late resync (tests/test_monitor_push_cost.py turns them on)."""
    settings.MONITOR_UNWATCHED_SECONDS = 0


@pytest.fixture(autouse=True)
def _charts_drawn_in_process(settings):
    """In-process tests draw the monitor charts in the test's own process, with its settings
    (tests/test_chart_drawing.py starts the drawing process)."""
    settings.MONITOR_CHARTS_PROCESS = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached LCM reference data must not leak from one test's database into the next."""
    from django.core.cache import cache

    from agentdesk.compliance import rules
    from agentdesk.desk import lookups, rendering
    from agentdesk.lcm import client
    from agentdesk.monitor import push

    cache.clear()
    lookups.forget_all()
    rendering.forget_rendered()
    rules.forget_cached_rules()
    push.forget_unwatched()
    # Monitor updates still pausing on a finished test's event loop must not hold up this one.
    push.forget_pending()
    client._clients.clear()  # a fresh circuit breaker per test
    yield
    cache.clear()
    lookups.forget_all()
    rules.forget_cached_rules()
    push.forget_unwatched()
    # Monitor updates still pausing on a finished test's event loop must not hold up this one.
    push.forget_pending()


FAST_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


@pytest.fixture
def agents(sim_world, settings):
    """Two agents of one team (a1: both groups, a2: sales only), an agent of another team,
    and a team lead (password "pw-for-tests-1", cheaply hashed: in-process logins only)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = FAST_HASHERS
    password = make_password("pw-for-tests-1", hasher="md5")

    from agentdesk.desk.models import AgentProfile
    from agentdesk.teams.models import Team

    user_model = get_user_model()
    blue = Team.objects.create(name="Blue")
    green = Team.objects.create(name="Green")
    people = {}
    for username, agent_id, team, groups in [
        ("alice", "a1@test", blue, ["Sales Manual Group", "Service Manual Group"]),
        ("bob", "a2@test", blue, ["Sales Manual Group"]),
        ("carol", "a3@test", green, ["Service Manual Group"]),
    ]:
        user = user_model.objects.create(username=username, password=password)
        people[username] = AgentProfile.objects.create(
            user=user, lcm_agent_id=agent_id, team=team, campaign_groups=groups
        )
    lead = user_model.objects.create(username="lena", password=password)
    blue.leads.add(lead)
    people["lead"] = lead
    return people


@pytest.fixture(scope="session")
def app_server(django_db_setup, django_db_blocker) -> Iterator[Server]:
    """agentdesk itself under Daphne, on the test database, LCM embedded."""
    port = free_port()
    server = Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(LCM_URL="embedded", LCM_TIMEOUT_SECONDS="2"),
        "/accounts/login/",
    )
    yield server
    server.stop()


LATE_IN_NEW_YORK = "2026-11-24T03:00:00+00:00"  # Mon 22:00 in New York


@pytest.fixture(scope="module")
def late_server(django_db_setup, django_db_blocker) -> Iterator[Server]:
    """agentdesk under Daphne with its compliance clock at 22:00 New York time."""
    port = free_port()
    server = Server(
        ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "agentdesk.asgi:application"],
        port,
        server_env(LCM_URL="embedded", LCM_TIMEOUT_SECONDS="2", COMPLIANCE_CLOCK=LATE_IN_NEW_YORK),
        "/accounts/login/",
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def jobs_worker(django_db_setup, django_db_blocker) -> Iterator[subprocess.Popen[bytes]]:
    """A job runner (`manage.py jobs_worker`) on the test database, LCM embedded."""
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "jobs_worker",
            "--no-reload",
            "--interval",
            "0.2",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=server_env(LCM_URL="embedded"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 768}}


@pytest.hookimpl(trylast=True)  # after -m has deselected what will not run
def pytest_collection_modifyitems(config, items):
    """Playwright's sync API keeps an event loop running in the test thread, and Django then
    refuses plain ORM calls there. Browser tests need that check off; the test command runs
    them in a process of their own so every other test keeps it."""
    if any(item.get_closest_marker("browser") for item in items):
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


ARTIFACTS = ROOT / "test-artifacts"
ARTIFACTS.mkdir(exist_ok=True)


# ------------------------------------------------ the PostgreSQL test database, dropped for sure
_made_databases: set[str] = set()


def pytest_sessionfinish(session, exitstatus):
    """pytest-django drops its PostgreSQL test database at the end, but only warns when that
    fails (a connection a worker thread or server still held), leaving `test_test` behind on
    a shared server. Drop what this session made, whoever is still connected to it."""
    import psycopg
    from psycopg import sql

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        return
    configured = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0]
    for name in sorted(_made_databases - {configured, ""}):
        url = database_url().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as pg:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            pg.execute(drop.format(sql.Identifier(name)))
