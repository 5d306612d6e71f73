from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "agentdesk.demo"
    label = "demo"
    verbose_name = "Demo data"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
