"""The data directory, the SQLite database and the generated secret key are readable by the
service's own user only, also when they already existed with looser modes."""

import os
import stat
import subprocess
import sys

from .conftest import ROOT


def run_manage(data_dir, *args) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(AGENTDESK_DATA_DIR=str(data_dir), AGENTDESK_DEMO="1")
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(0o022),  # a typical, permissive umask
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_data_directory_is_private(tmp_path):
    data = tmp_path / "data"
    run_manage(data, "migrate", "-v0")
    assert mode(data) == 0o700
    assert mode(data / "secret_key") == 0o600
    database = data / "agentdesk.sqlite3"
    assert database.stat().st_size > 0 and mode(database) == 0o600
    for extra in data.glob("agentdesk.sqlite3-*"):  # -wal / -shm while open
        assert mode(extra) == 0o600, extra


def test_loose_modes_left_by_an_older_version_are_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("secret_key", "agentdesk.sqlite3", "agentdesk.sqlite3-wal"):
        (data / name).write_text("x" * 60 if name == "secret_key" else "")
        (data / name).chmod(0o644)
    run_manage(data, "check")
    assert mode(data) == 0o700
    for name in ("secret_key", "agentdesk.sqlite3", "agentdesk.sqlite3-wal"):
        assert mode(data / name) == 0o600, name
