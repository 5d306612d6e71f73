"""System checks: the bundled simulator and the demo never run in production by accident."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security)
def simulator_chosen_on_purpose(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or settings.LCM_URL != "embedded" or settings.LCM_SIMULATOR_CHOSEN:
        return []
    return [
        Error(
            "LCM_URL is 'embedded' with DEBUG off: agents would work against the bundled LCM "
            "simulator instead of your LCM.",
            hint="Set LCM_URL to your LCM's URL. To run the demo or the simulator on purpose, "
            "set AGENTDESK_DEMO=1 (demo mode) or LCM_SIMULATOR=1.",
            id="agentdesk.E001",
        )
    ]


@register(Tags.security, deploy=True)
def no_demo_mode_in_production(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.DEMO_MODE:
        return []
    return [
        Warning(
            "Demo mode is on (AGENTDESK_DEMO=1): demo users with a known password are created.",
            hint="Unset AGENTDESK_DEMO in production.",
            id="agentdesk.W001",
        )
    ]
