"""The moment the calling-hours rules are evaluated at.

`COMPLIANCE_CLOCK` (an ISO date-time) freezes it for training rooms, drills and tests that must
see a contact outside its window; empty, it is the real time."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone


def now() -> datetime:
    fixed: datetime | None = getattr(settings, "COMPLIANCE_CLOCK", None)
    return fixed or timezone.now()
