"""Who may see which team: team leads see the teams they lead, superusers every team.

Every page, socket and import that shows a team's data asks here, so the rule lives once.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from .models import Team

AnyUser = AbstractBaseUser | AnonymousUser  # what request.auser() and scope['user'] give


def teams_for(user: AnyUser | None) -> QuerySet[Team]:
    """The teams `user` may see, by name; none for a missing or anonymous user."""
    if user is None or not user.is_authenticated:
        return Team.objects.none()
    if sees_every_team(user):
        return Team.objects.order_by("name")
    return Team.objects.filter(leads=user.pk).order_by("name")


def visible_team(user: AnyUser | None, team_id: int) -> Team | None:
    """The team `team_id` if `user` may see it, else None (callers answer 404 or refuse)."""
    return teams_for(user).filter(pk=team_id).first()


def sees_every_team(user: AnyUser | None) -> bool:
    """Superusers see (and import for) every team."""
    return bool(getattr(user, "is_superuser", False))
