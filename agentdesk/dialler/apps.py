from django.apps import AppConfig


class DiallerConfig(AppConfig):
    name = "agentdesk.dialler"
    label = "dialler"
    verbose_name = "Dialler contact import"

    def ready(self) -> None:
        from agentdesk.jobs.recovery import register_sweep

        from .bulk import requeue_stale_jobs

        register_sweep(requeue_stale_jobs)
