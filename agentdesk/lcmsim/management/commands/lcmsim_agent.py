from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agentdesk.lcmsim.service import set_agent_logged_in


class Command(BaseCommand):
    help = "Log an agent in to or out of the application as the LCM simulator sees it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agent_id", help="the agent's LCM ID")
        state = parser.add_mutually_exclusive_group(required=True)
        state.add_argument("--logged-in", dest="logged_in", action="store_true")
        state.add_argument("--logged-out", dest="logged_in", action="store_false")

    def handle(self, *args: Any, agent_id: str, logged_in: bool, **options: Any) -> None:
        set_agent_logged_in(agent_id, logged_in)
        self.stdout.write(f"{agent_id} is {'logged in' if logged_in else 'logged out'} in LCM")
