"""LCM keys agentdesk has retired: contacts LCM still holds but must never be dialled again.

LCM's documented calls cannot change or delete a contact. When an import overwrites what LCM
holds (numbers, dial window, business fields), agentdesk creates a new LCM contact and retires
the old key here; when LCM hands a retired key to an agent, the desk closes it with the
configured outcome and fetches the next contact (docs/lcm.md, "Retired keys"). This module sits
beside the protocol layer so both the desk (reads) and the import (writes) may use it.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils import timezone


class RetiredKey(models.Model):
    OVERWRITTEN = "overwritten"
    REASONS = [(OVERWRITTEN, "Replaced by a newer import of the same contact")]

    lcm_key = models.CharField(max_length=80, unique=True)
    reason = models.CharField(max_length=20, choices=REASONS, default=OVERWRITTEN)
    replaced_by = models.CharField(max_length=80, blank=True, help_text="The LCM key now in use")
    retired_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When agentdesk closed it in LCM after a handout"
    )

    def __str__(self) -> str:
        return self.lcm_key


def retire(lcm_key: str, *, replaced_by: str, reason: str = RetiredKey.OVERWRITTEN) -> None:
    """Never let `lcm_key` reach an agent again (idempotent)."""
    retire_many({lcm_key: replaced_by}, reason=reason)


def retire_many(replacements: Mapping[str, str], *, reason: str = RetiredKey.OVERWRITTEN) -> None:
    """Retire each key of `replacements` (old key → the key replacing it, or ""), in one
    statement; a key already retired keeps what it was retired with."""
    keys = {old.strip(): new for old, new in replacements.items() if old and old.strip()}
    if keys:
        RetiredKey.objects.bulk_create(
            [RetiredKey(lcm_key=old, replaced_by=new, reason=reason) for old, new in keys.items()],
            ignore_conflicts=True,
        )


def is_retired(lcm_key: str) -> bool:
    return bool(lcm_key) and RetiredKey.objects.filter(lcm_key=lcm_key.strip()).exists()


def mark_closed(lcm_key: str) -> None:
    RetiredKey.objects.filter(lcm_key=lcm_key.strip(), closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
