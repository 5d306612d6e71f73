"""A team lead moves a personal callback of an agent who left to another agent of the team:
LCM is asked to book it again for that agent (same contact, call id and window), and the
move is recorded. A move cut off by a stopped worker is settled by the job runner's sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.jobs.recovery import stale_after_seconds
from agentdesk.lcm import wrapup as w
from agentdesk.lcm.client import get_client
from agentdesk.lcm.errors import LcmError, LcmRejected
from agentdesk.shared.asyncdb import db_async

from .. import events, state
from ..callbacks import campaign_groups_of, works_group
from ..models import ActionLog, AgentProfile, AgentSession, Callback


@dataclass(frozen=True)
class Reassigned:
    ok: bool
    message: str
    level: str = "info"


def _claim_for_move(callback_id: int, team_id: int) -> Callback | None:
    """Take the callback for moving (one lead at a time): its status goes to "sending"."""
    with transaction.atomic():
        row = (
            Callback.objects.select_for_update()
            .filter(
                pk=callback_id,
                team_id=team_id,
                kind=Callback.PERSONAL,
                status__in=(Callback.BOOKED, Callback.UNKNOWN),
            )
            .first()
        )
        if row is None:
            return None
        previous = row.status
        Callback.objects.filter(pk=row.pk).update(
            status=Callback.SENDING, moving_since=timezone.now()
        )
        row.status = previous
        return row


def _put_back(row: Callback, status: str) -> None:
    Callback.objects.filter(pk=row.pk).update(status=status, moving_since=None)


def settle_abandoned_moves() -> int:
    """The job runner's sweep: a lead's move whose worker stopped before LCM's answer was
    saved may have happened. The callback becomes "may have been booked" (so the lead can move
    it again: the same booking is sent, not a second one), with a log row saying so."""
    cutoff = timezone.now() - timedelta(seconds=stale_after_seconds())
    settled = 0
    stale = Callback.objects.filter(status=Callback.SENDING, moving_since__lt=cutoff)
    for row in stale.select_related("agent"):
        with transaction.atomic():
            if not Callback.objects.filter(pk=row.pk, status=Callback.SENDING).update(
                status=Callback.UNKNOWN, moving_since=None
            ):
                continue  # settled meanwhile
            state.write_log(
                row.agent,
                ActionLog.REASSIGN,
                ok=False,
                error_kind="unknown",
                error="the worker stopped before LCM's answer was saved",
                subtopic=w.SetPersonalCallbackWithComments.SUBTOPIC,
                lcm_key=row.lcm_key,
                call_id=row.call_id,
                campaign=row.campaign,
                phone_last4=row.phone_last4,
                result="Moving this personal callback to another agent may have happened in LCM; "
                "move it again to make sure",
            )
        settled += 1
    return settled


def _moved(
    row: Callback, to: AgentProfile, lead: str, latency_ms: float
) -> tuple[Callback, ActionLog, AgentSession]:
    with transaction.atomic():
        Callback.objects.filter(pk=row.pk).update(
            status=Callback.REASSIGNED, reassigned_by=lead, moving_since=None
        )
        new, _created = Callback.objects.get_or_create(
            booked_by=row.booked_by,
            request_token=f"move-{row.pk}-{to.pk}",
            defaults={
                "agent": to,
                "team_id": row.team_id,
                "kind": Callback.PERSONAL,
                "status": Callback.BOOKED,
                "lcm_key": row.lcm_key,
                "call_id": row.call_id,
                "campaign": row.campaign,
                "mode_id": row.mode_id,
                "phone_last4": row.phone_last4,
                "time_zone": row.time_zone,
                "starts_at": row.starts_at,
                "ends_at": row.ends_at,
                "comment": row.comment,
                "lead_score": row.lead_score,
                "target_amount": row.target_amount,
                "reassigned_from": row,
                "reassigned_by": lead,
            },
        )
        entry = state.write_log(
            to,
            ActionLog.REASSIGN,
            subtopic=w.SetPersonalCallbackWithComments.SUBTOPIC,
            lcm_key=row.lcm_key,
            call_id=row.call_id,
            campaign=row.campaign,
            phone_last4=row.phone_last4,
            actor=lead,
            lcm_latency_ms=round(latency_ms, 1),
            comment=row.comment,
            result=f"Personal callback of {row.agent.display_name} moved to "
            f"{to.display_name} by {lead}",
        )
    session = state.session_for(to)
    session.agent = to
    return new, entry, session


async def reassign_callback(
    lead_name: str, team_id: int, callback_id: int, to: AgentProfile
) -> Reassigned:
    """Send the personal callback to LCM again as a personal callback of `to` (same contact,
    same call id, same window), and record the move. The caller has checked that the lead
    leads `team_id` and that `to` is an agent of it."""
    if to.team_id != team_id:
        return Reassigned(False, _("Choose an agent of this team."), "error")
    row = await db_async(_claim_for_move)(callback_id, team_id)
    if row is None:
        return Reassigned(
            False,
            _("This callback can no longer be moved: it was moved or changed meanwhile."),
            "warning",
        )
    if row.agent_id == to.pk:
        await db_async(_put_back)(row, row.status)
        return Reassigned(False, _("The callback is already that agent's."), "info")
    group = (await db_async(campaign_groups_of)([row])).get(row.call_id, "")
    if not works_group(to, group):
        await db_async(_put_back)(row, row.status)
        message = _(
            "%(agent)s does not work the campaign group %(group)s, where this callback comes "
            "back: choose an agent who does."
        ) % {"agent": to.display_name, "group": group}
        return Reassigned(False, message, "error")
    start, end = row.local_start.replace(tzinfo=None), row.local_end.replace(tzinfo=None)
    request = w.SetPersonalCallbackWithComments(
        call_id=row.call_id,
        account_number=row.lcm_key,
        start=start,
        end=end,
        mode_id=row.mode_id,
        user_id=to.lcm_agent_id,
        comments=row.comment,
        lead_score=row.lead_score,
        target_amount=row.target_amount,
    )
    try:
        exchange = await get_client().call(request)
    except LcmRejected as error:
        await db_async(_put_back)(row, row.status)
        return Reassigned(False, error.describe(), "error")
    except LcmError as error:
        # Sent but unanswered: LCM may have moved it; the old row stays as it was (the lead
        # sees it still listed) and moving it again sends the same booking for the same agent.
        await db_async(_put_back)(row, row.status)
        if error.outcome_unknown:
            message = _(
                "LCM may have moved this callback: %(cause)s. Move it again to make sure; the "
                "same booking is sent again, not a second one."
            ) % {"cause": error.cause()}
            return Reassigned(False, message, "warning")
        return Reassigned(False, error.describe(), "error")
    _new, entry, session = await db_async(_moved)(row, to, lead_name, exchange.latency_ms)
    # The webhooks and metrics hear of the move like of any action.
    await events.announce(events.AgentChanged.of_action(session, entry))
    return Reassigned(
        True,
        _("Personal callback moved to %(agent)s.") % {"agent": to.display_name},
        "success",
    )
