"""The job runner: django-tasks' database backend, run by `jobs_worker` and by `serve`."""

import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, Server, free_port, server_env
from tests.jobs_for_tests import add, add_async

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(result, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result.refresh()
        if result.is_finished:
            return result
        time.sleep(0.1)
    raise AssertionError(f"task {result.id} still {result.status} after {seconds} s")


def start_worker(**env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "jobs_worker",
            "--no-reload",
            "--interval",
            "0.1",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=server_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_worker_process_runs_queued_tasks_sync_and_async():
    first, second = add.enqueue(2, 3), add_async.enqueue(20, 22)
    assert first.status == "READY"  # nothing runs them in this process
    worker = start_worker()
    try:
        assert wait_for(first).return_value == 5
        assert wait_for(second).return_value == 42
        assert first.status == second.status == "SUCCESSFUL"
    finally:
        stop(worker)


def test_tasks_queued_while_no_worker_runs_are_done_when_one_starts():
    result = add.enqueue(1, 1)
    result.refresh()
    assert result.status == "READY"  # stored, not run in the caller
    worker = start_worker()
    try:
        assert wait_for(result).return_value == 2
    finally:
        stop(worker)


def test_serve_starts_a_job_runner_beside_daphne():
    port = free_port()
    server = Server(
        ["manage.py", "serve", "--no-demo", "--port", str(port)], port, server_env(), "/healthz"
    )
    try:
        result = add.enqueue(40, 2)
        assert wait_for(result).return_value == 42
    finally:
        server.stop()


def test_recovery_sweeps_run_and_one_failing_sweep_does_not_stop_the_others():
    from agentdesk.jobs import recovery

    calls = []

    def broken():
        raise RuntimeError("boom")

    saved = list(recovery._sweeps)
    try:
        recovery.register_sweep(broken)
        recovery.register_sweep(lambda: calls.append("ran"))
        recovery.run_sweeps()
    finally:
        recovery._sweeps[:] = saved
    assert calls == ["ran"]


@pytest.mark.parametrize(("setting", "niceness"), [("10", 10), ("0", 0)])
def test_the_job_runner_yields_the_cpu_to_agents_pages(setting, niceness):
    """A big import on a machine shared with web workers must not slow the agents down."""
    probe = (
        "import os, django; django.setup(); "
        "from agentdesk.jobs.management.commands.jobs_worker import yield_cpu_to_agents; "
        "before = os.getpriority(os.PRIO_PROCESS, 0); yield_cpu_to_agents(); "
        "print(before, os.getpriority(os.PRIO_PROCESS, 0))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=server_env(JOBS_NICE=setting, DJANGO_SETTINGS_MODULE="agentdesk.settings"),
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = map(int, done.stdout.strip().splitlines()[-1].split())
    assert after == min(before + niceness, 19)  # 19: the lowest priority (under `nice` already)
