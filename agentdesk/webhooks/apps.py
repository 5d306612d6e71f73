from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "agentdesk.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from agentdesk.jobs.recovery import register_sweep

        from . import subscriptions
        from .tasks import requeue_stale

        subscriptions.connect()
        register_sweep(requeue_stale)
