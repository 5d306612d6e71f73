from typing import Any

from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "agentdesk.desk"
    label = "desk"
    verbose_name = "Agent desk"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save, pre_delete

        from agentdesk.jobs.recovery import register_sweep

        from .pending import settle_abandoned

        # Writes to LCM a killed worker left in flight become unknown outcomes, logged.
        register_sweep(settle_abandoned)
        from .actions.callback_move import settle_abandoned_moves

        register_sweep(settle_abandoned_moves)

        from agentdesk.liveaccess.groups import CHECK, tell
        from agentdesk.liveaccess.handshake_cache import forget_everyone
        from agentdesk.teams.models import Team

        from .events import agent_group
        from .lookups import forget_agent
        from .models import AgentProfile

        def profile_saved(sender: type, instance: AgentProfile, **kwargs: object) -> None:
            forget_agent(instance)  # its campaign groups may have changed
            forget_everyone()  # a desk socket's handshake must not use the old profile
            # Nor an open page (its user, LCM agent ID, team or groups may have changed): the
            # pages holding this profile check it again and close if it differs.
            tell(agent_group(instance.pk), CHECK)

        post_save.connect(
            profile_saved, sender=AgentProfile, weak=False, dispatch_uid="desk.forget_agent_groups"
        )

        def team_changed(sender: type, **kwargs: object) -> None:
            forget_everyone()  # the agent profiles a handshake keeps hold their team

        post_save.connect(team_changed, sender=Team, weak=False, dispatch_uid="desk.team_saved")
        post_delete.connect(team_changed, sender=Team, weak=False, dispatch_uid="desk.team_gone")

        def team_deleting(sender: type, instance: Team, **kwargs: object) -> None:
            # Its agents are left without a team by an update that saves no profile: their
            # open pages check again once it commits (they would log under the gone team).
            for profile_id in AgentProfile.objects.filter(team=instance).values_list(
                "pk", flat=True
            ):
                tell(agent_group(profile_id), CHECK)

        pre_delete.connect(team_deleting, sender=Team, weak=False, dispatch_uid="desk.team_going")

        from django.contrib.auth.signals import user_logged_in

        from .state import start_idle_clock_at_login

        def logged_in(sender: type, user: Any, **kwargs: object) -> None:
            start_idle_clock_at_login(user.pk)

        user_logged_in.connect(logged_in, weak=False, dispatch_uid="desk.idle_from_login")
