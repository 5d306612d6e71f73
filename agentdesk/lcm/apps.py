from django.apps import AppConfig


class LcmConfig(AppConfig):
    """The LCM protocol; an app only so operators get `manage.py lcm_check`."""

    name = "agentdesk.lcm"
    verbose_name = "LCM protocol"
