from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agentdesk.lcmsim.models import Fault
from agentdesk.lcmsim.service import set_fault


class Command(BaseCommand):
    help = "Make the LCM simulator misbehave (for drills and demos), or behave again with 'none'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mode", choices=[mode for mode, _ in Fault.MODES])
        parser.add_argument("--delay", type=float, default=0, help="seconds, for 'slow'")
        parser.add_argument(
            "--act-before-failing",
            action="store_true",
            help="carry out each call before failing its answer",
        )

    def handle(
        self, *args: Any, mode: str, delay: float, act_before_failing: bool, **options: Any
    ) -> None:
        if mode == Fault.SLOW and delay <= 0:
            raise CommandError("'slow' needs --delay SECONDS")
        set_fault(mode, delay_seconds=delay, act_before_failing=act_before_failing)
        self.stdout.write(f"LCM simulator fault set to {mode}")
