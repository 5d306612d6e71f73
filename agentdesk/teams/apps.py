from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "agentdesk.teams"
    label = "teams"
    verbose_name = "Teams"
