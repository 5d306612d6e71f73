from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "agentdesk.metrics"
    label = "metrics"
    verbose_name = "Operators' metrics"

    def ready(self) -> None:
        from agentdesk.lcm.client import observe_calls

        from . import instruments

        observe_calls(instruments.record_lcm_call)
