import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from agentdesk.demo import seeding as demo
from agentdesk.serving.daphne import DAPHNE_OPTIONS


class Command(BaseCommand):
    help = (
        "Migrate, load the demo data (in demo mode, AGENTDESK_DEMO=1, unless --no-demo), print "
        "how to log in, start the job runner (unless --no-worker) and serve with Daphne."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="do not create demo data")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a job runner (run `manage.py jobs_worker` elsewhere)",
        )

    def handle(
        self, *args: Any, host: str, port: int, no_demo: bool, no_worker: bool, **options: Any
    ) -> None:
        from daphne.cli import CommandLineInterface

        call_command("migrate", interactive=False, verbosity=0)
        # Outside demo mode nobody is created: no account with a known password, ever.
        demo_users = settings.DEMO_MODE and not no_demo
        if demo_users:
            call_command("seed_demo")
        shown_host = "localhost" if host in {"127.0.0.1", "0.0.0.0"} else host  # noqa: S104
        self.stdout.write(
            self.style.SUCCESS(f"\nagentdesk is running: http://{shown_host}:{port}/")
        )
        if not demo_users:
            self.stdout.write(
                "  No demo users (demo mode is off). Create the first admin with "
                "`manage.py createsuperuser`.\n"
            )
        else:
            self.stdout.write(
                f"  agent page:   log in as agent1 (password {demo.demo_password()})\n"
                f"  team monitor: http://{shown_host}:{port}/monitor/ as lead1\n"
                f"  admin:        http://{shown_host}:{port}/admin/ as admin\n"
            )
        self.stdout.write("Stop with Ctrl+C.")
        self.stdout.flush()
        worker = None
        if not no_worker:
            # The job runner in its own process: background imports keep running while Daphne
            # serves pages, and a crash of one does not take the other down.
            worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [sys.executable, sys.argv[0], "jobs_worker", "--no-reload", "--interval", "0.5"]
            )
        try:
            CommandLineInterface().run(
                ["-b", host, "-p", str(port), *DAPHNE_OPTIONS, "agentdesk.asgi:application"]
            )
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
