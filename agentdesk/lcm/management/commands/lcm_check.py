import asyncio
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agentdesk.lcm.check import report_lines, run_check


class Command(BaseCommand):
    help = (
        "First contact with an LCM: send the read-only calls (campaign groups for one agent, "
        "outcomes, call counts) to LCM_URL and print what came back and whether agentdesk "
        "understood it. Changes nothing in LCM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agent", required=True, help="an LCM agent ID to ask about")
        parser.add_argument("--url", default="", help="an LCM URL to try instead of LCM_URL")

    def handle(self, *args: Any, agent: str, url: str, **options: Any) -> None:
        self.stdout.write(f"LCM: {url or settings.LCM_URL}")
        results = asyncio.run(run_check(agent, url))
        for line in report_lines(results):
            self.stdout.write(line)
        if not all(result.ok for result in results):
            raise CommandError("not every call worked as agentdesk needs it; see above")
