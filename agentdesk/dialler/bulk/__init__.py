"""Bulk import for team leads: a CSV is checked row by row into a preview, then imported on the
job runner with live progress, through the same import function as the REST API.

reading: the file and its rows; scope: which campaigns a lead may import into; preview: the
checked rows stored as the job; queueing: the job put on the job runner; running: rows claimed
and imported a batch at a time, exactly once; recovery: jobs of a worker that died; progress
and results: what the job page and its CSV show."""

from .. import importing
from .preview import create_preview
from .progress import progress, render_progress
from .queueing import start
from .reading import KNOWN_COLUMNS, CsvRejected, _row_payload, read_csv
from .recovery import requeue_stale_jobs
from .results import results_csv
from .running import _BatchOrder, run_job
from .scope import allowed_campaign_ids, csv_scope

__all__ = [
    "KNOWN_COLUMNS",
    "CsvRejected",
    "_BatchOrder",
    "_row_payload",
    "allowed_campaign_ids",
    "create_preview",
    "csv_scope",
    "importing",
    "progress",
    "read_csv",
    "render_progress",
    "requeue_stale_jobs",
    "results_csv",
    "run_job",
    "start",
]
