"""A finished job's results as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from agentdesk.shared.csvsafe import safe_cell

from ..models import DiallerContact, ImportJob, ImportRow

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
