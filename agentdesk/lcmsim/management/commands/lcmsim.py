from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the bundled LCM simulator over HTTP: POST envelopes to http://HOST:PORT/lcm"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        from daphne.cli import CommandLineInterface

        url = f"http://{host}:{port}/lcm"
        # Said before Daphne starts (its own lines go to stderr): where to point agentdesk.
        self.stdout.write(f"LCM simulator listening on {url}")
        self.stdout.write(f"Point agentdesk at it with LCM_URL={url} (Ctrl-C stops it).")
        self.stdout.flush()
        access_log = ["--access-log", "-"] if options["verbosity"] > 1 else []
        CommandLineInterface().run(
            ["-b", host, "-p", str(port), *access_log, "agentdesk.lcmsim.asgi:application"]
        )
