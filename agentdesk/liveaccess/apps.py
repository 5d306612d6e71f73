from django.apps import AppConfig


class LiveAccessConfig(AppConfig):
    name = "agentdesk.liveaccess"
    label = "liveaccess"
    verbose_name = "Live connection access"

    def ready(self) -> None:
        from agentdesk.serving import hookmiddleware  # noqa: F401 - registers its deploy check

        from . import signals

        signals.connect()
