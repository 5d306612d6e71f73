"""What every page says about the compliance rules: whether their clock is simulated."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.http import HttpRequest


def simulated_clock(request: HttpRequest) -> dict[str, datetime | None]:
    """`COMPLIANCE_CLOCK` when set: calling hours are judged at that moment, and the page must
    say so, or a trainee would take a blocked contact for a rule of the real day."""
    return {"simulated_clock": getattr(settings, "COMPLIANCE_CLOCK", None)}
