from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "agentdesk.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
