from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "agentdesk.demo"
    label = "demo"
    verbose_name = "Demo data"
