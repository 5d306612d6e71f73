from typing import Any

from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "agentdesk.desk"
    label = "desk"
    verbose_name = "Agent desk"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from agentdesk.jobs.recovery import register_sweep

        from .pending import settle_abandoned

        # Writes to LCM a killed worker left in flight become unknown outcomes, logged.
        register_sweep(settle_abandoned)
        from .callbacks import settle_abandoned_moves

        register_sweep(settle_abandoned_moves)

        from .lookups import forget_agent
        from .models import AgentProfile

        def profile_saved(sender: type, instance: AgentProfile, **kwargs: object) -> None:
            forget_agent(instance)  # its campaign groups may have changed

        post_save.connect(
            profile_saved, sender=AgentProfile, weak=False, dispatch_uid="desk.forget_agent_groups"
        )

        from django.contrib.auth.signals import user_logged_in

        from .state import start_idle_clock_at_login

        def logged_in(sender: type, user: Any, **kwargs: object) -> None:
            start_idle_clock_at_login(user.pk)

        user_logged_in.connect(logged_in, weak=False, dispatch_uid="desk.idle_from_login")
