"""Tasks the job-runner tests enqueue (a worker process imports them by path)."""

from django_tasks import task


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
async def add_async(a: int, b: int) -> int:
    return a + b
