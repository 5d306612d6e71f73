from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "agentdesk.monitor"
    label = "monitor"
    verbose_name = "Team monitor"
