"""Demo mode: demo users (with a known password) exist only when it is chosen, seeding never
resets a password, and production start-up creates nobody."""

import os
import subprocess
import sys

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from agentdesk.demo.checks import simulator_chosen_on_purpose

from .conftest import ROOT, Server, free_port

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_refuses_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="AGENTDESK_DEMO=1"):
        call_command("seed_demo", contacts=0)
    assert not get_user_model().objects.exists()


def test_seeding_again_never_resets_a_password_or_a_flag(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo", contacts=0)
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("agentdesk-demo") and admin.is_superuser
    admin.set_password("a-new-secret-9876")
    admin.is_superuser = False
    admin.save()
    call_command("seed_demo", contacts=0)
    admin.refresh_from_db()
    assert admin.check_password("a-new-secret-9876") and not admin.is_superuser


@pytest.mark.parametrize(
    ("debug", "lcm_url", "chosen", "refused"),
    [
        (False, "embedded", False, True),
        (False, "embedded", True, False),  # AGENTDESK_DEMO=1 or LCM_SIMULATOR=1
        (False, "https://lcm.example.com/lcm", False, False),
        (True, "embedded", False, False),
    ],
)
def test_the_simulator_in_production_is_refused_unless_chosen(
    settings, debug, lcm_url, chosen, refused
):
    settings.DEBUG, settings.LCM_URL, settings.LCM_SIMULATOR_CHOSEN = debug, lcm_url, chosen
    errors = simulator_chosen_on_purpose(None)
    assert [e.id for e in errors] == (["agentdesk.E001"] if refused else [])


def clean_env(data_dir, **extra) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "AGENTDESK_DEMO", "LCM_SIMULATOR")
        and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(AGENTDESK_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def test_manage_py_refuses_to_start_with_the_simulator_by_default(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate"],
        cwd=ROOT,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "agentdesk.E001" in result.stderr, result.stderr


def serve(data_dir, **env) -> Server:
    port = free_port()
    return Server(
        ["manage.py", "serve", "--no-worker", "--port", str(port)],
        port,
        clean_env(data_dir, **env),
        "/healthz",
        start_timeout=180,  # a fresh database: migrations and the demo's contacts first
    )


def can_log_in(server, username, password) -> bool:
    with httpx.Client(base_url=server.url) as client:
        token = client.get("/accounts/login/").cookies["csrftoken"]
        response = client.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        )
        return response.status_code == 302


def test_production_start_up_creates_nobody(tmp_path):
    server = serve(tmp_path, LCM_SIMULATOR="1")  # the simulator, but not the demo
    try:
        assert "No demo users" in server.log()
        assert not can_log_in(server, "admin", "agentdesk-demo")
        assert not can_log_in(server, "agent1", "agentdesk-demo")
    finally:
        server.stop()
    users = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "print(get_user_model().objects.count())",
        ],
        cwd=ROOT,
        env=clean_env(tmp_path, LCM_SIMULATOR="1"),
        capture_output=True,
        text=True,
    )
    assert users.stdout.strip().splitlines()[-1] == "0", users.stdout + users.stderr


def test_a_changed_admin_password_survives_a_demo_restart(tmp_path):
    server = serve(tmp_path, AGENTDESK_DEMO="1")
    try:
        assert can_log_in(server, "admin", "agentdesk-demo")
    finally:
        server.stop()
    changed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "u = get_user_model().objects.get(username='admin'); "
            "u.set_password('changed-by-the-operator-42'); u.save()",
        ],
        cwd=ROOT,
        env=clean_env(tmp_path, AGENTDESK_DEMO="1"),
        capture_output=True,
        text=True,
    )
    assert changed.returncode == 0, changed.stderr
    server = serve(tmp_path, AGENTDESK_DEMO="1")
    try:
        assert can_log_in(server, "admin", "changed-by-the-operator-42")
        assert not can_log_in(server, "admin", "agentdesk-demo")
    finally:
        server.stop()


def test_serve_gives_daphne_a_handshake_timeout_a_reconnect_storm_fits_in(monkeypatch):
    """After a deploy every page reconnects at once; Daphne's default 5 s would drop the
    handshakes still queued (docs/deploy.md)."""
    from daphne.cli import CommandLineInterface

    started: list[list[str]] = []
    monkeypatch.setattr(CommandLineInterface, "run", lambda self, args: started.append(args))
    call_command("serve", "--no-demo", "--no-worker", "--port", "8123")
    (args,) = started
    timeout = args[args.index("--websocket_connect_timeout") + 1]
    assert int(timeout) >= 60
    assert args[-1] == "agentdesk.asgi:application"
