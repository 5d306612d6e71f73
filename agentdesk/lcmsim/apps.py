from django.apps import AppConfig


class LcmsimConfig(AppConfig):
    name = "agentdesk.lcmsim"
    label = "lcmsim"
    verbose_name = "LCM simulator"

    def ready(self) -> None:
        from agentdesk.lcm.client import register_transport

        from .transport import EmbeddedTransport

        register_transport("embedded", EmbeddedTransport)
