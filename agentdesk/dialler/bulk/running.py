"""Bulk import for team leads: a CSV is checked row by row into a preview, then imported on the
job runner with live progress, through the same import function as the REST API.

Rows are imported a batch at a time (IMPORT_BATCH_SIZE). Exactly once per row, also when a
worker is killed: a batch's rows are claimed (pending → importing) before they are imported,
and the import ties each row to agentdesk's contact record in the same transaction that
writes that record, before LCM is called. The recovery sweep therefore knows
for each row a dead worker held whether LCM can have been asked (then the row's outcome is
"unknown", never sent again blindly) or not (then it goes back to pending).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.desk.returning import update_returning_all
from agentdesk.shared.asyncdb import db_async
from agentdesk.shared.bulkupdate import update_each
from agentdesk.teams.access import sees_every_team

from .. import importing, signals
from ..models import ImportJob, ImportRow
from .scope import allowed_campaign_ids, csv_scope

log = logging.getLogger(__name__)


HEARTBEAT_SECONDS = 2.0


def concurrency() -> int:
    """Rows sent to LCM at once. SQLite has one writer: parallel rows only make its busy
    handler back off (measured: 34 rows/s with four at once against 49 with one), so it gets
    one."""
    if connection.vendor == "sqlite":
        return 1
    return int(settings.IMPORT_CONCURRENCY)


def batch_size() -> int:
    """Rows claimed, checked and written together (IMPORT_BATCH_SIZE)."""
    return int(settings.IMPORT_BATCH_SIZE)


class LostJob(Exception):
    """The recovery sweep gave this runner's job to another runner (its heartbeat stalled)."""


def _owned(job_id: int, token: str) -> QuerySet[ImportJob]:
    """The job, if it is still this runner's: the sweep gives a job whose heartbeat went
    silent to a new task (`task_id`), and a runner that was only slow must then stop, or two
    runners would import the same rows."""
    return ImportJob.objects.filter(pk=job_id, task_id=token, state=ImportJob.RUNNING)


def _claim_batch(job_id: int, size: int, token: str) -> list[ImportRow]:
    """Take up to `size` pending rows, in line order, in one statement: a compare-and-set, so
    two runners never take one row, and only while the job is still this runner's. On
    PostgreSQL SKIP LOCKED lets runners take different rows at once instead of queueing on the
    same ones; SQLite runs one writer at a time."""
    quote = connection.ops.quote_name
    table, pk = quote(ImportRow._meta.db_table), quote(ImportRow._meta.pk.column)
    jobs = quote(ImportJob._meta.db_table)
    status = quote("status")
    lock = "FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    # Identifiers come from the model, values go in as parameters.
    where = (
        f"{pk} IN (SELECT {pk} FROM {table} WHERE {quote('job_id')} = %s AND {status} = %s "  # noqa: S608
        f"ORDER BY {quote('line')} LIMIT %s {lock}) AND {status} = %s "
        f"AND EXISTS (SELECT 1 FROM {jobs} WHERE {quote('id')} = %s AND {quote('task_id')} = %s "
        f"AND {quote('state')} = %s)"
    )
    params = [
        job_id, ImportRow.PENDING, size, ImportRow.PENDING, job_id, token, ImportJob.RUNNING
    ]  # fmt: skip
    rows = update_returning_all(ImportRow, where, params, {"status": ImportRow.IMPORTING})
    return sorted(rows, key=lambda row: row.line)


def _finish_row(row_id: int, status: str, message: str, contact_id: int | None) -> None:
    ImportRow.objects.filter(pk=row_id).update(
        status=status, message=message[:2000], contact_id=contact_id
    )


def _finish_rows(rows: list[ImportRow], job_id: int, token: str, tied: set[int]) -> None:
    """Each row's status and message; a row that imported nothing loses its contact (the
    others keep the one tied to them before LCM was called). A runner that lost its job writes
    only the rows it tied to a record itself (the sweep settled those from that record, this
    runner knows LCM's answer); every other row is the new runner's now."""
    with transaction.atomic():
        if not _owned(job_id, token).select_for_update().exists():
            for row in rows:
                if row.pk in tied and row.contact_id is not None:
                    ImportRow.objects.filter(pk=row.pk, contact_id=row.contact_id).update(
                        status=row.status, message=row.message
                    )
            return
        update_each(ImportRow, {r.pk: {"status": r.status, "message": r.message} for r in rows})
        if untied := [r.pk for r in rows if r.contact_id is None]:
            ImportRow.objects.filter(pk__in=untied).update(contact=None)


def _tie_rows(
    rows: list[ImportRow], pairs: list[tuple[int, int]], job_id: int, token: str, tied: set[int]
) -> None:
    """Tie rows to their records, in the transaction that writes the records, before LCM is
    called: only while the job is still this runner's (LostJob otherwise, which undoes the
    records, so nothing is sent). The job row's lock orders this against the sweep."""
    if not _owned(job_id, token).select_for_update().exists():
        raise LostJob(f"import job {job_id} was given to another runner")
    for index, contact_id in pairs:
        rows[index].contact_id = contact_id
        tied.add(rows[index].pk)
    update_each(ImportRow, {rows[index].pk: {"contact": contact_id} for index, contact_id in pairs})


@dataclass
class _Run:
    job: ImportJob
    lookups: importing.Lookups
    actor: str
    gate: asyncio.Semaphore
    token: str  # the job-runner task this run is (ImportJob.task_id while the job is its)


def _run_context(job_id: int) -> tuple[ImportJob, set[int] | None, str]:
    job = ImportJob.objects.select_related("created_by", "team").get(pk=job_id)
    user = job.created_by
    allowed = None if sees_every_team(user) else allowed_campaign_ids(job.team)
    return job, allowed, f"csv:{user.get_username()}"


def _finish(row: ImportRow, result: importing.Result, run: _Run) -> None:
    """The row's result as its status, message and contact."""
    if isinstance(result, importing.LcmOutcomeUnknown):
        row.status, row.message = ImportRow.UNKNOWN, result.describe()  # keeps its tied record
    elif isinstance(result, importing.ImportRejected):
        row.status, row.message, row.contact_id = ImportRow.FAILED, result.describe(), None
    elif isinstance(result, Exception):  # one bad row must not stop the other 9,999
        log.error("import %s line %s failed", run.job.pk, row.line, exc_info=result)
        message = _("Unexpected error: %(error)s") % {"error": result}
        row.status, row.message, row.contact_id = ImportRow.FAILED, message, None
    else:
        if result.created:
            row.status = ImportRow.CREATED
        else:
            row.status = ImportRow.UPDATED if result.changed_in_lcm else ImportRow.UNCHANGED
        row.message, row.contact_id = "", result.contact.pk
    row.message = row.message[:2000]


async def _import_batch(rows: list[ImportRow], run: _Run) -> None:
    tied: set[int] = set()
    try:
        results = await importing.import_contacts(
            [row.data for row in rows],
            overwrite=run.job.overwrite_duplicates,
            lookups=run.lookups,
            actor=run.actor,
            tie=lambda pairs: _tie_rows(rows, pairs, run.job.pk, run.token, tied),
            gate=run.gate,
            # A UserData another batch or import is working on waits for it: a CSV has no
            # client that would retry a 409.
            wait_for_claims=True,
        )
    except Exception as exc:  # e.g. the database failing while checking the batch
        results = [exc] * len(rows)
    for row, result in zip(rows, results, strict=True):
        _finish(row, result, run)
    await db_async(_finish_rows)(rows, run.job.pk, run.token, tied)


class _BatchOrder:
    """Rows of one file with the same UserData go to LCM in line order even when two batches
    run at once: a batch holding a UserData an earlier batch of this run still imports waits
    for that batch (rare; other batches do not wait)."""

    def __init__(self) -> None:
        self.claiming = asyncio.Lock()
        self.changed = asyncio.Condition()
        self.in_flight: dict[int, frozenset[str]] = {}
        self.count = 0

    def register(self, rows: list[ImportRow]) -> int:
        self.count += 1
        self.in_flight[self.count] = frozenset(
            str(row.data.get("UserData")) for row in rows if row.data.get("UserData")
        )
        return self.count

    def _blocked(self, batch: int) -> bool:
        mine = self.in_flight.get(batch, frozenset())
        return any(earlier < batch and mine & theirs for earlier, theirs in self.in_flight.items())

    async def wait_for_earlier(self, batch: int) -> None:
        async with self.changed:
            await self.changed.wait_for(lambda: not self._blocked(batch))

    async def done(self, batch: int) -> None:
        async with self.changed:
            self.in_flight.pop(batch, None)
            self.changed.notify_all()


async def run_job(job_id: int, token: str | None = None) -> None:
    """Import every pending row of the job, a batch at a time, with a heartbeat for the sweep.
    Two batches run at once on PostgreSQL (one's database work overlaps the other's LCM
    calls), sharing IMPORT_CONCURRENCY calls to LCM. `token`: the job-runner task running it
    (default: the job's task as it is now); once the sweep has given the job to another task
    this run claims, ties and finishes nothing more."""
    job, allowed, actor = await db_async(_run_context)(job_id)
    if job.state != ImportJob.RUNNING:
        return
    token = job.task_id if token is None else token
    gate = asyncio.Semaphore(concurrency())
    lookups = importing.Lookups(allowed, csv_scope(allowed), team_id=job.team_id)
    run = _Run(job, lookups, actor, gate, token)

    async def beat() -> None:
        while True:
            await db_async(lambda: _owned(job_id, token).update(heartbeat_at=timezone.now()))()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    order = _BatchOrder()

    async def worker() -> None:
        while True:
            async with order.claiming:  # batches are registered in the order they are claimed
                rows = await db_async(_claim_batch)(job_id, batch_size(), token)
                if not rows:
                    return
                batch = order.register(rows)
            try:
                await order.wait_for_earlier(batch)
                await _import_batch(rows, run)
            finally:
                await order.done(batch)

    heart = asyncio.create_task(beat())
    try:
        await asyncio.gather(*(worker() for _ in range(1 if concurrency() == 1 else 2)))
    finally:
        heart.cancel()
    finished = await db_async(
        lambda: _owned(job_id, token).update(state=ImportJob.DONE, finished_at=timezone.now())
    )()
    if finished:
        await db_async(signals.announce_import_finished)(job_id)
