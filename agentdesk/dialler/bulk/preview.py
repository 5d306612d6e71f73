"""The preview: every row of a file checked before anything is imported, stored as the job."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from agentdesk.teams.models import Team

from .. import importing
from ..models import ImportJob, ImportRow
from .reading import (
    KNOWN_COLUMNS,
    MAX_CELL_CHARS,
    CsvRejected,
    _counted_rows,
    _row_payload,
    _too_long,
    open_csv,
)
from .scope import csv_scope

PREVIEW_CHUNK = 500


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
