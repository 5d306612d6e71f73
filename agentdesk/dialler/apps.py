from django.apps import AppConfig


class DiallerConfig(AppConfig):
    name = "agentdesk.dialler"
    label = "dialler"
    verbose_name = "Dialler contact import"
