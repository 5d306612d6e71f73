"""Texts the page's script shows by itself (connection badge, network errors), translated on the
server like every other text and handed to the script as JSON (base.html, "ui-text")."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _


def ui_text(request: HttpRequest) -> dict[str, dict[str, str]]:
    return {
        "ui_text": {
            "live": _("Live"),
            "offline": _("Offline"),
            "connecting": _("Connecting…"),
            "unreachable": _("The server could not be reached. Nothing was changed; try again."),
            "server_failed": _("The server failed to answer. Nothing was changed; try again."),
            "action_dropped": _(
                "The live connection dropped while your action was on its way: it may have "
                "been done. If it did not reach agentdesk within 10 seconds, it will not be done "
                "later. The page shows what happened once it is live again."
            ),
            "action_unanswered": _(
                "Your action got no answer: the live connection dropped or the server is slow. "
                "It may have been done; the page shows what happened once it is live again."
            ),
        }
    }
