"""The dialler's background jobs (docs/jobs.md)."""

from django_tasks import TaskContext, task

from .bulk.running import run_job


@task(takes_context=True)
async def run_import(context: TaskContext, job_id: int) -> None:
    """Import a team lead's CSV job (safe to run again: rows are claimed one by one). The
    task's ID fences the run: once the recovery sweep gives the job to another task, this one
    stops (docs/jobs.md)."""
    await run_job(job_id, str(context.task_result.id))
