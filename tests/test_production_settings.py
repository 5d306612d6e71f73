"""Production settings from the environment."""

import secrets
import subprocess
import sys

import pytest
from django.test import Client

from .conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTION = {
    "DEBUG": "0",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "ALLOWED_HOSTS": "desk.example.com",
    "LCM_URL": "https://lcm.example.com/lcm",
}
# Serving plain HTTP on localhost (the demo) cannot have these; docs/reliability.md says why.
HTTP_ONLY_WARNINGS = {"security.W004", "security.W008", "security.W012", "security.W016"}


def check_deploy(tmp_path, **env) -> str:
    import os

    full = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    full.update(AGENTDESK_DATA_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
    )
    return result.stdout + result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    output = check_deploy(tmp_path, SECRET_KEY=secrets.token_urlsafe(60), **PRODUCTION)
    assert "System check identified no issues" in output, output


def test_the_http_demo_has_only_the_explained_warnings(tmp_path):
    import re

    output = check_deploy(tmp_path, AGENTDESK_DEMO="1")  # as `make run` starts it
    assert set(re.findall(r"security\.W\d+", output)) == HTTP_ONLY_WARNINGS, output
    assert "agentdesk.W001" in output  # demo mode is named, too
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # generated, private


def secret_key_of(tmp_path, **env) -> str:
    """The SECRET_KEY a process started with `env` and data directory `tmp_path` uses."""
    import os

    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    full.update(AGENTDESK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="agentdesk.settings")
    full.update(env)
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_no_secret_in_the_repository(tmp_path):
    """The key comes from SECRET_KEY, or is generated per installation: none is built in."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    assert "var/secret_key" not in tracked.stdout.split()
    given = secrets.token_urlsafe(50)
    assert secret_key_of(tmp_path / "given", SECRET_KEY=given) == given
    first, second = secret_key_of(tmp_path / "one"), secret_key_of(tmp_path / "two")
    assert first != second and min(len(first), len(second)) >= 50
    assert secret_key_of(tmp_path / "one") == first  # kept: sessions survive restarts
    assert (tmp_path / "one" / "secret_key").read_text().strip() == first


def test_security_headers(agents):
    response = Client().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
