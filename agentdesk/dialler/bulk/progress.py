"""A job's progress: counts per result, and the fragment the job page shows live."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.template.loader import render_to_string

from ..models import ImportJob, ImportRow


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
