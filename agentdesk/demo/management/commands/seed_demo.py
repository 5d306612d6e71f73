from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agentdesk.demo import seeding as demo


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo campaigns, contacts, agents and team leads."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--contacts", type=int, default=400)

    def handle(self, *args: Any, contacts: int, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "Demo users have a known password and exist only in demo mode: "
                "set AGENTDESK_DEMO=1 (as `make run` does) to seed them."
            )
        result = demo.seed(contacts=contacts)
        self.stdout.write(
            f"Demo data ready: {result['agents']} agents, {result['leads']} team leads, "
            f"{result['contacts_created']} new contacts."
        )
        if not demo.simulator_installed():
            self.stdout.write(
                "The LCM simulator is not installed in this process (LCM_URL is not "
                "'embedded'), so no campaigns or contacts were seeded; set LCM_SIMULATOR=1 "
                "to seed the simulator that shares this database."
            )
        self.stdout.write(
            "Log in as agent1 … agent6 (agents), lead1 or lead2 (team leads) or admin, "
            f"password: {demo.demo_password()} (unless it was changed: seeding again never "
            "resets a password)"
        )
