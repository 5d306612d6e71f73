from django.apps import AppConfig


class LcmsimConfig(AppConfig):
    name = "agentdesk.lcmsim"
    label = "lcmsim"
    verbose_name = "LCM simulator"
