from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agentdesk.dialler.models import ApiToken, DiallerCampaign
from agentdesk.lcm.fields import is_whole_number


class Command(BaseCommand):
    help = "Create an API token for the dialler contact API and print it (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who or what uses the token, e.g. 'CRM sync'")
        parser.add_argument(
            "--campaign",
            action="append",
            default=[],
            help="limit the token to this campaign (name or ID); repeat for several",
        )

    def handle(self, *args: Any, name: str, campaign: list[str], **options: Any) -> None:
        campaigns = []
        for ref in campaign:
            found = DiallerCampaign.objects.filter(name=ref).first()
            if found is None and is_whole_number(ref):
                found = DiallerCampaign.objects.filter(pk=int(ref)).first()
            if found is None:
                raise CommandError(f"no campaign named or numbered {ref!r}")
            campaigns.append(found)
        _token, raw = ApiToken.issue(name, campaigns)
        scope = ", ".join(c.name for c in campaigns) or "all campaigns"
        self.stderr.write(f"Token {name!r} for {scope}. Store it now; it is not shown again:")
        self.stdout.write(raw)
