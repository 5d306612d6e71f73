"""The dialler's background jobs (docs/jobs.md)."""

from django_tasks import task


@task()
async def run_import(job_id: int) -> None:
    """Import a team lead's CSV job (safe to run again: rows are claimed one by one)."""
    from .bulk import run_job

    await run_job(job_id)
