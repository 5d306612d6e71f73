"""Settings from the environment: every variable read through one helper set, and a malformed
value stops the process at start with ImproperlyConfigured naming the variable."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from agentdesk.settings import env_bool, env_float, env_int, env_list, env_str

from .conftest import ROOT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        (" Yes ", True),
        ("on", True),
        ("0", False),
        ("OFF", False),
        ("no", False),
        ("false", False),
        ("", True),
        (None, True),
    ],
)
def test_yes_no_values(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("AGENTDESK_T", raising=False)
    else:
        monkeypatch.setenv("AGENTDESK_T", raw)
    assert env_bool("AGENTDESK_T", True) is expected


@pytest.mark.parametrize(
    ("reader", "raw", "words"),
    [
        (lambda: env_bool("AGENTDESK_T", False), "ture", "not a yes/no value"),
        (lambda: env_int("AGENTDESK_T", 5), "5s", "not a whole number"),
        (lambda: env_int("AGENTDESK_T", 5), "2.5", "not a whole number"),
        (lambda: env_int("AGENTDESK_T", 5, minimum=1), "0", "below the minimum of 1"),
        (lambda: env_float("AGENTDESK_T", 5.0), "five", "not a number"),
        (lambda: env_float("AGENTDESK_T", 5.0), "nan", "not a number of at least 0"),
        (lambda: env_float("AGENTDESK_T", 5.0, minimum=0.1), "0", "at least 0.1"),
        (lambda: env_str("AGENTDESK_T", "a", choices={"a", "b"}), "c", "use one of a, b"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable(monkeypatch, reader, raw, words):
    monkeypatch.setenv("AGENTDESK_T", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        reader()
    assert str(refused.value).startswith(f"AGENTDESK_T={raw!r}")
    assert words in str(refused.value)


def test_well_formed_values_are_read(monkeypatch):
    monkeypatch.setenv("AGENTDESK_T", " 12 ")
    assert env_int("AGENTDESK_T", 5) == 12
    assert env_float("AGENTDESK_T", 5.0) == 12.0
    assert env_str("AGENTDESK_T", "x") == "12"
    monkeypatch.setenv("AGENTDESK_T", "a.example, ,b.example,")
    assert env_list("AGENTDESK_T", "") == ["a.example", "b.example"]
    monkeypatch.delenv("AGENTDESK_T")
    assert (env_int("AGENTDESK_T", 5), env_float("AGENTDESK_T", 1.5)) == (5, 1.5)
    assert env_list("AGENTDESK_T", "x,y") == ["x", "y"]


def _start(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    full.pop("LCM_URL", None)
    full.update(AGENTDESK_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=full, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "ture"),
        ("LCM_TIMEOUT_SECONDS", "5s"),
        ("LCM_BREAKER_FAILURES", "three"),
        ("LCM_URL", "lcm.internal/lcm"),
        ("LCM_RESERVED_SUBTOPIC", "GetReserved"),
        ("LOG_LEVEL", "verbose"),
    ],
)
def test_the_process_does_not_start_with_a_malformed_setting(tmp_path, name, value):
    started = _start(tmp_path, **{name: value})
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"{name}={value!r}" in started.stderr


def test_the_pool_size_is_checked_on_postgresql(tmp_path):
    postgres = "postgres://postgres@127.0.0.1:5432/unused"  # `check` does not connect
    started = _start(tmp_path, DATABASE_URL=postgres, DATABASE_POOL_SIZE="1")
    assert "DATABASE_POOL_SIZE='1' is below the minimum of 2" in started.stderr


def test_the_defaults_start(tmp_path):
    """The defaults are the demo's (`make run` sets AGENTDESK_DEMO=1); without that choice the
    embedded simulator with DEBUG off is refused (see tests/test_demo_mode.py)."""
    started = _start(tmp_path, AGENTDESK_DEMO="1")
    assert started.returncode == 0, started.stderr
    assert "System check identified no issues" in started.stdout
