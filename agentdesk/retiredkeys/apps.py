from django.apps import AppConfig


class RetiredKeysConfig(AppConfig):
    name = "agentdesk.retiredkeys"
    label = "retiredkeys"
    verbose_name = "Retired LCM keys"
