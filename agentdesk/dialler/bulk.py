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
import csv
import io
import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.desk.models import AgentProfile
from agentdesk.desk.returning import update_returning_all
from agentdesk.jobs.recovery import stale_after_seconds
from agentdesk.retiredkeys.models import retire_many
from agentdesk.shared import csvread
from agentdesk.shared.asyncdb import db_async
from agentdesk.shared.bulkupdate import update_each
from agentdesk.shared.csvsafe import safe_cell
from agentdesk.teams.access import sees_every_team
from agentdesk.teams.models import Team

from . import importing, signals
from .models import ALL_FIELDS, DiallerCampaign, DiallerContact, ImportJob, ImportRow

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CELL_CHARS = 10_000
CAMPAIGN_COLUMNS = ("DiallerCampaignsID", "DiallerCampaignsName")
KNOWN_COLUMNS = {*ALL_FIELDS, *CAMPAIGN_COLUMNS}
HEARTBEAT_SECONDS = 2.0
PREVIEW_CHUNK = 500


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


CsvRejected = csvread.CsvRejected  # the file as a whole cannot be used; the message says why


def allowed_campaign_ids(team: Team) -> set[int]:
    """Campaigns a team's leads may import into: those of the groups the team works."""
    groups: set[str] = set()
    for names in AgentProfile.objects.filter(team=team).values_list("campaign_groups", flat=True):
        groups.update(names or [])
    return set(
        DiallerCampaign.objects.filter(campaign_group__in=groups).values_list("pk", flat=True)
    )


def _row_payload(row: dict[str, Any]) -> dict[str, str]:
    """CSV cells are text: blanks mean "not given"; the contact model reads numbers from text."""
    payload: dict[str, str] = {}
    for key, value in row.items():
        if key is None or key not in KNOWN_COLUMNS or not isinstance(value, str):
            continue
        value = value.strip()
        if value:
            payload[key] = value
    return payload


def open_csv(data: bytes) -> csvread.Table:
    """The file's header, checked, and its rows (only the contact-field columns) as they are
    read; CsvRejected explains what is wrong with the file (also while the rows are read).
    Memory: see agentdesk/shared/csvread.py and docs/api.md ("Limits")."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvRejected(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    table = csvread.open_table(data, known=KNOWN_COLUMNS)
    header = table.header
    if not header:
        raise CsvRejected(_("The file is empty: it needs a header row with the field names."))
    if "Name" not in header or not any(c in header for c in CAMPAIGN_COLUMNS):
        raise CsvRejected(
            _(
                "The header row needs Name, DiallerCampaignsID or DiallerCampaignsName, and "
                "PhoneNumber1…PhoneNumber6 columns (the field names of the contact API)."
            )
        )
    return table


def _counted_rows(table: csvread.Table) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet shows it, cells); line 1 is the header."""
    for number, (_line, row) in enumerate(table.rows, start=2):
        if number - 1 > MAX_ROWS:
            raise CsvRejected(
                _("The file has more than %(rows)d rows; split it.") % {"rows": MAX_ROWS}
            )
        yield number, row


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows (only the contact-field columns) of an uploaded CSV, all at once."""
    table = open_csv(data)
    rows = [row for _number, row in _counted_rows(table)]
    if not rows:
        raise CsvRejected(_("The file has a header row but no contacts."))
    return table.header, rows


def _too_long(payload: dict[str, str]) -> str:
    return "; ".join(
        _("%(field)s is longer than %(limit)d characters") % {"field": k, "limit": MAX_CELL_CHARS}
        for k, v in payload.items()
        if len(v) > MAX_CELL_CHARS
    )


def _problems(lookups: importing.Lookups, payloads: list[dict[str, str]]) -> list[str]:
    """For each row of a chunk, "" when it can be imported, else a sentence naming each
    problem (one do-not-call query per chunk; campaigns and agents were read once)."""
    problems = [_too_long(payload) for payload in payloads]
    chunk = [n for n in range(len(payloads)) if not problems[n]]
    checked = lookups.check_many([payloads[n] for n in chunk])
    for n, found in zip(chunk, checked, strict=True):
        if isinstance(found, importing.ImportRejected):
            problems[n] = found.describe()
    return problems


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def create_preview(
    team: Team,
    user: User,
    file_name: str,
    data: bytes,
    *,
    overwrite: bool,
    allowed: set[int] | None,
) -> ImportJob:
    """Check every row and store the job as a preview (nothing is imported yet). A file that
    cannot be read leaves nothing behind.

    Rows are read and checked a chunk at a time and the checked rows spooled to a temporary
    file, then written in one transaction: memory holds the upload and one chunk, not every
    row of the file (docs/api.md, "Limits")."""
    table = open_csv(data)
    lookups = importing.Lookups(allowed, csv_scope(allowed), team_id=team.pk)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for chunk in _chunks(_counted_rows(table), PREVIEW_CHUNK):
            payloads = [_row_payload(row) for _number, row in chunk]
            for (line, _row), payload, problem in zip(
                chunk, payloads, _problems(lookups, payloads), strict=True
            ):
                if any(len(v) > MAX_CELL_CHARS for v in payload.values()):
                    payload = {k: v[:MAX_CELL_CHARS] for k, v in payload.items()}
                if problem:
                    # Kept to show the lead, in a form the database can store (no NUL in JSON).
                    payload = {k: v.replace("\x00", "\ufffd") for k, v in payload.items()}
                spool.write(json.dumps([line, payload, problem]) + "\n")
        if not spool.tell():
            raise CsvRejected(_("The file has a header row but no contacts."))
        spool.seek(0)
        return _store_preview(team, user, file_name, overwrite, table.header, spool)


def _store_preview(
    team: Team, user: User, file_name: str, overwrite: bool, header: list[str], spool: IO[str]
) -> ImportJob:
    ignored = sorted(set(header) - KNOWN_COLUMNS)
    with transaction.atomic():
        job = ImportJob.objects.create(
            team=team,
            created_by=user,
            file_name=file_name[:255],
            overwrite_duplicates=overwrite,
            notes=(
                _("Columns ignored (not contact fields): %(columns)s")
                % {"columns": ", ".join(ignored)}
            )[:2000]
            if ignored
            else "",
        )
        for batch in _chunks(iter(spool), 1000):
            rows = []
            for text in batch:
                line, payload, problem = json.loads(text)
                rows.append(
                    ImportRow(
                        job=job,
                        line=line,
                        data=payload,
                        status=ImportRow.INVALID if problem else ImportRow.PENDING,
                        message=problem[:2000],
                    )
                )
            ImportRow.objects.bulk_create(rows)
    return job


@dataclass
class Progress:
    total: int
    pending: int
    importing: int
    invalid: int
    created: int
    updated: int
    unchanged: int
    failed: int
    unknown: int

    @property
    def to_import(self) -> int:
        return self.total - self.invalid

    @property
    def done(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed + self.unknown

    @property
    def percent(self) -> int:
        return 100 if not self.to_import else round(100 * self.done / self.to_import)


def progress(job: ImportJob) -> Progress:
    statuses = [f.name for f in Progress.__dataclass_fields__.values() if f.name != "total"]
    counts = ImportRow.objects.filter(job=job).aggregate(
        total=Count("pk"),
        **{name: Count("pk", filter=Q(status=name)) for name in statuses},
    )
    return Progress(**counts)


def render_progress(job: ImportJob, *, oob: bool = True) -> str:
    return render_to_string(
        "dialler/_progress.html", {"job": job, "progress": progress(job), "oob": oob}
    )


# ------------------------------------------------------------------------------ running


def start(job: ImportJob) -> bool:
    """Queue a previewed job on the job runner (once: a second click does nothing)."""
    from .tasks import run_import

    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, state=ImportJob.PREVIEW).update(
            state=ImportJob.RUNNING
        ):
            return False
        result = run_import.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return True


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


def csv_scope(allowed: set[int] | None) -> str:
    """Whose campaigns a refused row speaks of: the CSV import is a lead's (or an
    administrator's, who may use every campaign), never a token's."""
    return importing.CSV_SCOPE if allowed is not None else ""


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
            await db_async(
                lambda: _owned(job_id, token).update(heartbeat_at=timezone.now())
            )()
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


def _settle_orphan(row: ImportRow, job: ImportJob) -> None:
    """A row a dead worker held: back to pending if LCM cannot have been asked, else settled
    from agentdesk's record (confirmed: done; still sending: LCM may hold it)."""
    contact = DiallerContact.objects.filter(pk=row.contact_id).first() if row.contact_id else None
    if contact is None:
        _finish_row(row.pk, ImportRow.PENDING, "", None)
    elif contact.lcm_state == DiallerContact.CONFIRMED:
        created = contact.created_at >= job.created_at
        _finish_row(row.pk, ImportRow.CREATED if created else ImportRow.UPDATED, "", contact.pk)
    else:
        from django.db.models import F

        DiallerContact.objects.filter(pk=contact.pk, lcm_state=DiallerContact.SENDING).update(
            lcm_state=DiallerContact.UNKNOWN, uncertain_attempts=F("uncertain_attempts") + 1
        )
        if contact.lcm_key:
            # An overwrite may have reached LCM: the old data must not be dialled either way.
            retire_many({contact.lcm_key: ""})
        _finish_row(
            row.pk,
            ImportRow.UNKNOWN,
            _(
                "The import stopped while LCM was creating this contact: LCM may hold it. Import "
                "it again with the same UserData to finish it safely."
            ),
            contact.pk,
        )


def requeue_stale_jobs() -> int:
    """Recovery sweep: jobs whose worker died are settled and queued again; returns how many."""
    from django_tasks_db.models import DBTaskResult

    from .tasks import run_import

    stale = timezone.now() - timedelta(seconds=stale_after_seconds())
    taken = 0
    for job in ImportJob.objects.filter(state=ImportJob.RUNNING):
        task = DBTaskResult.objects.filter(pk=job.task_id).first() if job.task_id else None
        if task is not None and task.status == "READY":
            continue  # queued, waiting for a free worker
        alive = job.heartbeat_at or (task.started_at if task else None)
        if task is not None and task.status == "RUNNING" and alive and alive > stale:
            continue
        with transaction.atomic():
            result = run_import.enqueue(job.pk)
            if not ImportJob.objects.filter(pk=job.pk, task_id=job.task_id).update(
                task_id=str(result.id), heartbeat_at=timezone.now()
            ):
                DBTaskResult.objects.filter(pk=result.id).delete()  # another sweep won
                continue
            if task is not None and task.status == "RUNNING":
                DBTaskResult.objects.filter(pk=task.pk, status="RUNNING").update(
                    status="FAILED", finished_at=timezone.now()
                )
            for row in ImportRow.objects.filter(job=job, status=ImportRow.IMPORTING):
                _settle_orphan(row, job)
        log.warning("import job %s: its worker stopped; queued again", job.pk)
        taken += 1
    return taken


RESULT_COLUMNS = ["line", "result", "message", "DiallerContactsID", "LCMKey"]


def results_csv(job: ImportJob) -> str:
    out = io.StringIO()
    columns = sorted(
        {
            key
            for data in ImportRow.objects.filter(job=job).values_list("data", flat=True)
            for key in data
        }
    )
    writer = csv.writer(out)
    writer.writerow(RESULT_COLUMNS + columns)
    for row in (
        ImportRow.objects.filter(job=job).select_related("contact").order_by("line").iterator()
    ):
        contact = row.contact
        confirmed = contact is not None and contact.lcm_state == DiallerContact.CONFIRMED
        writer.writerow(
            [
                row.line,
                row.status,
                safe_cell(row.message),
                row.contact_id or "",
                contact.lcm_key if contact is not None and confirmed else "",
            ]
            + [safe_cell(row.data.get(c, "")) for c in columns]
        )
    return out.getvalue()
