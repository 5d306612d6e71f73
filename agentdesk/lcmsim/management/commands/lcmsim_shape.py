from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agentdesk.lcmsim.service import set_shape
from agentdesk.lcmsim.shapes import SHAPES


class Command(BaseCommand):
    help = (
        "Make the LCM simulator write its answers the way other LCM servers do (refusal "
        "wording, no-contact shapes, date styles…), or as documented again with 'documented'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "shape",
            choices=list(SHAPES),
            help="; ".join(f"{name}: {what}" for name, what in SHAPES.items()),
        )

    def handle(self, *args: Any, shape: str, **options: Any) -> None:
        set_shape(shape)
        self.stdout.write(f"LCM simulator answers shaped: {shape} ({SHAPES[shape]})")
