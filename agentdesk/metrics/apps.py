from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "agentdesk.metrics"
    label = "metrics"
    verbose_name = "Operators' metrics"

    def ready(self) -> None:
        from agentdesk.desk.events import agent_changed
        from agentdesk.lcm.client import observe_calls

        from . import instruments

        observe_calls(instruments.record_lcm_call)
        agent_changed.connect(instruments.on_agent_changed, dispatch_uid="metrics.actions")
