from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "agentdesk.monitor"
    label = "monitor"
    verbose_name = "Team monitor"

    def ready(self) -> None:
        from agentdesk.desk.events import agent_changed

        from .push import on_agent_changed

        agent_changed.connect(on_agent_changed, dispatch_uid="monitor.push")
