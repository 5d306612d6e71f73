"""A team lead's CSV file: its limits, reading it, and each row as the import API's payload."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from agentdesk.shared import csvread

from ..models import ALL_FIELDS

MAX_ROWS = 50_000


MAX_CELL_CHARS = 10_000


CAMPAIGN_COLUMNS = ("DiallerCampaignsID", "DiallerCampaignsName")


KNOWN_COLUMNS = {*ALL_FIELDS, *CAMPAIGN_COLUMNS}


CsvRejected = csvread.CsvRejected  # the file as a whole cannot be used; the message says why


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
    if len(data) > settings.CSV_UPLOAD_MAX_BYTES:
        raise CsvRejected(
            _("The file is larger than %(mb)d MB.")
            % {"mb": settings.CSV_UPLOAD_MAX_BYTES // (1024 * 1024)}
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
