from django.apps import AppConfig


class LcmsimConfig(AppConfig):
    name = "agentdesk.lcmsim"
    label = "lcmsim"
    verbose_name = "LCM simulator"

    def ready(self) -> None:
        from agentdesk.lcm.client import register_transport

        from .transport import EmbeddedTransport

        register_transport("embedded", EmbeddedTransport)
        # The wrap-up answers register themselves with the service; numbers keeps every
        # saved mode's E.164 form (a signal).
        from . import numbers, wrapup  # noqa: F401
