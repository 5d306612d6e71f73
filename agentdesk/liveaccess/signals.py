"""What ends or changes access, as it happens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save

from .groups import CHECK, END, EVERYONE, session_group, tell, user_group
from .handshake_cache import forget_everyone


def on_logged_out(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:
        tell(session_group(key), END)


def on_user_saved(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login elsewhere changes nobody's access
    forget_everyone()  # a password change or deactivation: no handshake from the cache
    tell(user_group(instance.pk), CHECK)


def on_user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    forget_everyone()
    tell(user_group(instance.pk), END)


def on_user_record_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A record that gives a user access was deleted (an agent profile, say): recheck them."""
    field = next((f for f in sender._meta.concrete_fields if f.name == "user"), None)
    if field is not None and field.related_model is get_user_model() and instance.user_id:
        forget_everyone()
        tell(user_group(instance.user_id), CHECK)


def on_relation_changed(
    sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    """Any many-to-many change of a user (teams led, groups, permissions) rechecks them."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    user_model = get_user_model()
    if isinstance(instance, user_model) or model is user_model:
        forget_everyone()
    if isinstance(instance, user_model):
        tell(user_group(instance.pk), CHECK)
    elif model is user_model:
        if action == "post_clear":
            tell(EVERYONE, CHECK)  # who was removed is no longer known
        else:
            for user_id in pk_set or ():
                tell(user_group(user_id), CHECK)


def connect() -> None:
    user_model = get_user_model()
    user_logged_out.connect(on_logged_out, dispatch_uid="liveaccess-logout")
    post_save.connect(on_user_saved, sender=user_model, dispatch_uid="liveaccess-user-saved")
    post_delete.connect(on_user_deleted, sender=user_model, dispatch_uid="liveaccess-user-del")
    m2m_changed.connect(on_relation_changed, dispatch_uid="liveaccess-m2m")
    post_delete.connect(on_user_record_deleted, dispatch_uid="liveaccess-user-record-del")
