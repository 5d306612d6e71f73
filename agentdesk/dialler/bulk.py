"""Bulk import for team leads: a CSV is checked row by row into a preview, then imported in the
background with live progress, through the same import function as the REST API."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from dataclasses import dataclass

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from agentdesk.asyncdb import db_async
from agentdesk.csvsafe import safe_cell
from agentdesk.desk.models import AgentProfile
from agentdesk.language.sockets import send_in_each_language
from agentdesk.lcm.fields import is_whole_number
from agentdesk.teams.models import Team

from . import importing
from .models import ALL_FIELDS, DiallerCampaign, ImportJob, ImportRow

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
CAMPAIGN_COLUMNS = ("DiallerCampaignsID", "DiallerCampaignsName")
KNOWN_COLUMNS = {*ALL_FIELDS, *CAMPAIGN_COLUMNS}


def _concurrency() -> int:
    """Rows imported at once. SQLite has one writer: parallel rows only make its busy handler
    back off (measured: 34 rows/s with four at once), so it gets one."""
    from django.db import connection

    return 1 if connection.vendor == "sqlite" else 4


PUSH_EVERY_SECONDS = 0.25


class CsvRejected(ValueError):
    """The file as a whole cannot be used; the message says why."""


def job_group(job_id: int) -> str:
    return f"import.{job_id}"


def allowed_campaign_ids(team: Team) -> set[int]:
    """Campaigns a team's leads may import into: those of the groups the team works."""
    groups: set[str] = set()
    for names in AgentProfile.objects.filter(team=team).values_list("campaign_groups", flat=True):
        groups.update(names or [])
    return set(
        DiallerCampaign.objects.filter(campaign_group__in=groups).values_list("pk", flat=True)
    )


def _row_payload(row: dict[str, str]) -> dict:
    """CSV cells are text: blanks mean "not given", and number columns become numbers."""
    payload: dict = {}
    for key, value in row.items():
        if key is None or key not in KNOWN_COLUMNS:
            continue
        value = (value or "").strip()
        if value == "":
            continue
        if key in ("RandomSortOrder", "DiallerCampaignsID") and is_whole_number(value):
            payload[key] = int(value)
        else:
            payload[key] = value
    return payload


def read_csv(data: bytes) -> tuple[list[str], list[dict]]:
    """Header and rows of an uploaded CSV; CsvRejected explains what is wrong with the file."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvRejected(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvRejected(
            _("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise CsvRejected(_("The file is empty: it needs a header row with the field names."))
    reader.fieldnames = header
    if "Name" not in header or not any(c in header for c in CAMPAIGN_COLUMNS):
        raise CsvRejected(
            _(
                "The header row needs Name, DiallerCampaignsID or DiallerCampaignsName, and "
                "PhoneNumber1…PhoneNumber6 columns (the field names of the contact API)."
            )
        )
    rows = []
    for index, row in enumerate(reader):
        if index >= MAX_ROWS:
            raise CsvRejected(
                _("The file has more than %(rows)d rows; split it.") % {"rows": MAX_ROWS}
            )
        rows.append(row)
    if not rows:
        raise CsvRejected(_("The file has a header row but no contacts."))
    return header, rows


def _check_row(payload: dict, allowed: set[int] | None) -> str:
    """ "" when the row can be imported, else a sentence naming each problem."""
    try:
        clean = importing.validate(payload)
        importing.resolve_campaign(clean, allowed)
    except importing.ImportRejected as rejected:
        if rejected.errors:
            return "; ".join(f"{e.field} {e.message}" for e in rejected.errors)
        return rejected.message
    return ""


def create_preview(
    team: Team, user, file_name: str, data: bytes, *, overwrite: bool, allowed: set[int] | None
) -> ImportJob:
    """Check every row and store the job as a preview (nothing is imported yet)."""
    header, rows = read_csv(data)
    job = ImportJob.objects.create(
        team=team, created_by=user, file_name=file_name[:255], overwrite_duplicates=overwrite
    )
    batch = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        payload = _row_payload(row)
        problem = _check_row(payload, allowed)
        batch.append(
            ImportRow(
                job=job,
                line=line,
                data=payload,
                status=ImportRow.INVALID if problem else ImportRow.PENDING,
                message=problem,
            )
        )
        if len(batch) >= 1000:
            ImportRow.objects.bulk_create(batch)
            batch = []
    ImportRow.objects.bulk_create(batch)
    ignored = sorted(set(header) - KNOWN_COLUMNS)
    if ignored:
        job.notes = _("Columns ignored (not contact fields): %(columns)s") % {
            "columns": ", ".join(ignored)
        }
        job.save(update_fields=["notes"])
    return job


@dataclass
class Progress:
    total: int
    pending: int
    invalid: int
    created: int
    updated: int
    failed: int

    @property
    def to_import(self) -> int:
        return self.total - self.invalid

    @property
    def done(self) -> int:
        return self.created + self.updated + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.to_import else round(100 * self.done / self.to_import)


def progress(job: ImportJob) -> Progress:
    counts = ImportRow.objects.filter(job=job).aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=ImportRow.PENDING)),
        invalid=Count("pk", filter=Q(status=ImportRow.INVALID)),
        created=Count("pk", filter=Q(status=ImportRow.CREATED)),
        updated=Count("pk", filter=Q(status=ImportRow.UPDATED)),
        failed=Count("pk", filter=Q(status=ImportRow.FAILED)),
    )
    return Progress(**counts)


def render_progress(job: ImportJob, *, oob: bool = True) -> str:
    return render_to_string(
        "dialler/_progress.html", {"job": job, "progress": progress(job), "oob": oob}
    )


async def push_progress(job_id: int) -> None:
    job = await db_async(ImportJob.objects.get)(pk=job_id)
    try:
        # The runner has no reader's language: one render per language (see the consumer).
        await send_in_each_language(
            job_group(job_id), "import.push", lambda: db_async(render_progress)(job)
        )
    except Exception:
        log.exception("could not push the progress of import %s", job_id)


def _claim_next(job_id: int) -> ImportRow | None:
    """Take the next pending row (a compare-and-set, so two runners never import one row)."""
    while True:
        row = (
            ImportRow.objects.filter(job_id=job_id, status=ImportRow.PENDING)
            .order_by("line")
            .first()
        )
        if row is None:
            return None
        if ImportRow.objects.filter(pk=row.pk, status=ImportRow.PENDING).update(status="importing"):
            return row


def _finish_row(row: ImportRow, status: str, message: str, contact_id: int | None) -> None:
    ImportRow.objects.filter(pk=row.pk).update(
        status=status, message=message[:2000], contact_id=contact_id
    )


_running: set[int] = set()


async def run_job(job_id: int, *, allowed: set[int] | None, actor: str) -> None:
    """Import every pending row of the job, a few at a time, pushing progress as it goes."""
    if job_id in _running:
        return
    _running.add(job_id)
    try:
        job = await db_async(ImportJob.objects.get)(pk=job_id)
        last_push = 0.0

        async def worker() -> None:
            nonlocal last_push
            while True:
                row = await db_async(_claim_next)(job_id)
                if row is None:
                    return
                try:
                    outcome = await importing.import_contact(
                        row.data, overwrite=job.overwrite_duplicates, allowed=allowed, actor=actor
                    )
                except importing.ImportRejected as rejected:
                    detail = "; ".join(f"{e.field} {e.message}" for e in rejected.errors)
                    message = f"{rejected.message} {detail}".strip()
                    await db_async(_finish_row)(row, ImportRow.FAILED, message, None)
                except Exception as exc:  # one bad row must not stop the other 9,999
                    log.exception("import %s line %s failed", job_id, row.line)
                    await db_async(_finish_row)(
                        row, ImportRow.FAILED, f"Unexpected error: {exc}", None
                    )
                else:
                    status = ImportRow.CREATED if outcome.created else ImportRow.UPDATED
                    await db_async(_finish_row)(row, status, "", outcome.contact.pk)
                if time.monotonic() - last_push >= PUSH_EVERY_SECONDS:
                    last_push = time.monotonic()
                    await push_progress(job_id)

        await asyncio.gather(*(worker() for _ in range(_concurrency())))
        await db_async(
            lambda: ImportJob.objects.filter(pk=job_id).update(
                state=ImportJob.DONE, finished_at=timezone.now()
            )
        )()
        await push_progress(job_id)
    finally:
        _running.discard(job_id)


def start(job: ImportJob, *, allowed: set[int] | None, actor: str) -> asyncio.Task:
    """Run the job in the background of this server process."""
    return asyncio.get_running_loop().create_task(run_job(job.pk, allowed=allowed, actor=actor))


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
        writer.writerow(
            [
                row.line,
                row.status,
                row.message,
                row.contact_id or "",
                row.contact.lcm_key if row.contact else "",
            ]
            + [safe_cell(row.data.get(c, "")) for c in columns]
        )
    return out.getvalue()
