"""What an operator and an integrator run: the README's simulator commands as written, the
simulator saying where it listens, manage.py without the login-throttling banner, `make
messages` that leaves an unchanged catalogue alone, and the PostgreSQL test phase leaving no
test database behind."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentdesk.language.management.commands.makemessages import meaning

from .conftest import ROOT, database_url, free_port

MAKEMESSAGES = ["manage.py", "makemessages", "-l", "de", "--add-location", "file", "--no-obsolete"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "AGENTDESK_DEMO"}}
    env.update(AGENTDESK_DATA_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1", **extra)
    return env


def _manage(
    args: list[str], env: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _simulator_block() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("When pointing agentdesk at a real LCM")
    block = readme[readme.index("```sh\n", start) + 6 :]
    return [line for line in block[: block.index("```")].splitlines() if line.strip()]


def test_no_bare_python_in_the_docs():
    """`python manage.py` fails outside the virtualenv (no Django there)."""
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        bare = re.findall(r"(?<![\w/.])python3? manage\.py[^\n`]*", text)
        assert not bare, f"{path.name}: {bare}"


@pytest.mark.django_db(transaction=True)
def test_the_readme_simulator_commands_run_as_written(tmp_path):
    """On the (migrated) test database; the block's own `seed_demo` line goes first, as
    `make run` would have seeded before."""
    lines = sorted(_simulator_block(), key=lambda line: "seed_demo" not in line)
    ran = 0
    for line in lines:
        command = line.split("  #", 1)[0].strip()
        if " make run" in f" {command}" or "lcmsim --host" in command:
            continue  # serves until stopped: the listening line is tested below
        words = shlex.split(command)
        extra = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
        program = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
        assert program[:2] == [".venv/bin/python", "manage.py"], line
        done = _manage(program[1:], _env(tmp_path, DATABASE_URL=database_url(), **extra))
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "agentdesk.E001" not in done.stderr
        ran += 1
    assert ran >= 8


def test_lcmsim_says_where_it_listens(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "lcmsim", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        second = server.stdout.readline()
    finally:
        server.terminate()
        server.wait(10)
    assert first.strip() == f"LCM simulator listening on http://127.0.0.1:{port}/lcm"
    assert f"LCM_URL=http://127.0.0.1:{port}/lcm" in second


def test_manage_py_prints_no_login_throttling_banner(tmp_path):
    done = _manage(["manage.py", "check"], _env(tmp_path, AGENTDESK_DEMO="1"))
    assert done.returncode == 0, done.stderr
    assert "AXES" not in done.stdout + done.stderr


def _code_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(ROOT / "manage.py", copy)
    shutil.copytree(ROOT / "templates", copy / "templates")
    shutil.copytree(
        ROOT / "agentdesk", copy / "agentdesk", ignore=shutil.ignore_patterns("__pycache__")
    )
    return copy


def test_make_messages_leaves_an_unchanged_catalogue_alone(tmp_path):
    """A run rewrites the catalogue only when what it says changes (a text added, changed or
    gone from the code), never for the date, the wrapping or the order."""
    assert shutil.which("xgettext"), "GNU gettext is needed: apt-get install gettext"
    copy = _code_copy(tmp_path)
    catalogue = copy / "agentdesk/locale/de/LC_MESSAGES/django.po"
    original = catalogue.read_bytes()
    env = _env(tmp_path, AGENTDESK_DEMO="1")
    assert _manage(MAKEMESSAGES, env, cwd=copy).returncode == 0
    if catalogue.read_bytes() != original:
        # Only because the texts changed: a hand edit that msgmerge would merely reformat
        # (date, wrapping, order) is left alone.
        before, after = tmp_path / "before.po", catalogue
        before.write_bytes(original)
        assert meaning(before) != meaning(after), "make messages rewrote django.po needlessly"
    settled = catalogue.read_bytes()
    time.sleep(1.1)  # a new minute or second would show in a rewritten POT-Creation-Date
    assert _manage(MAKEMESSAGES, env, cwd=copy).returncode == 0
    assert catalogue.read_bytes() == settled, "a second run changed django.po"
    # A new text is still picked up (the catalogue is msgmerge's then).
    page = copy / "templates/desk/page.html"
    page.write_text(page.read_text() + '{% translate "A brand-new text" %}\n')
    assert _manage(MAKEMESSAGES, env, cwd=copy).returncode == 0
    assert 'msgid "A brand-new text"' in catalogue.read_text(encoding="utf-8")


LEAKY_TEST = """
import threading

import pytest
from django.db import connection


@pytest.mark.django_db
def test_a_connection_left_open_in_a_thread():
    def hold():
        from django.db import connection as mine

        mine.ensure_connection()  # never closed: the thread keeps it

    thread = threading.Thread(target=hold)
    thread.start()
    thread.join()
    assert connection.settings_dict["NAME"].startswith("test_")
"""


@pytest.mark.postgres
def test_the_postgres_phase_leaves_no_test_database(tmp_path):
    import psycopg

    from .conftest import database_url

    # The PostgreSQL server under test, also when this module runs in the embedded phase.
    url = database_url()
    if not url.startswith("postgres"):
        url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    server = url.rsplit("/", 1)[0]
    name = f"dropcheck_{os.getpid()}"
    test_file = ROOT / "tests" / f"test_zz_dropcheck_{os.getpid()}.py"
    test_file.write_text(LEAKY_TEST)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
            cwd=ROOT,
            env={**_env(tmp_path), "DATABASE_URL": f"{server}/{name}"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        test_file.unlink()
    assert "1 passed" in done.stdout, done.stdout + done.stderr
    with psycopg.connect(f"{server}/postgres".replace("postgres://", "postgresql://")) as pg:
        left = pg.execute("SELECT datname FROM pg_database WHERE datname = %s", [f"test_{name}"])
        assert left.fetchall() == []
