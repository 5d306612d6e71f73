from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DncSyncConfig(AppConfig):
    """Numbers on agentdesk's do-not-call list, appended to LCM's too (AddCompliance)."""

    name = "agentdesk.dncsync"
    label = "dncsync"
    verbose_name = _("Do-not-call sent to LCM")

    def ready(self) -> None:
        from agentdesk.jobs.recovery import register_sweep

        from . import signals
        from .tasks import requeue_stale

        signals.connect()
        register_sweep(requeue_stale)
