from django.apps import AppConfig


class LiveAccessConfig(AppConfig):
    name = "agentdesk.liveaccess"
    label = "liveaccess"
    verbose_name = "Live connection access"

    def ready(self) -> None:
        from . import signals

        signals.connect()
