"""A team of agents and the users who lead it."""

from django.conf import settings
from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="led_teams")
    monitors_open = models.IntegerField(default=0, editable=False, help_text="Open monitor pages")

    class Meta:
        # The table teams were first created in (by the desk app); kept so data stays put.
        db_table = "desk_team"

    def __str__(self) -> str:
        return self.name
