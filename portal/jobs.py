"""Work that runs later, by name: scheduled jobs and long ones (a tax year's import, crediting).

Operations register a job with `@job("name")`; views and schedules ask for it with
`enqueue("name", *args)`. Arguments are plain values (ids, dates as ISO strings), never ORM
objects, so a job can run in another process. Until a task engine is configured the job runs at
once, in the caller's process, and `enqueue` returns its result.
"""

from collections.abc import Callable

_JOBS: dict[str, Callable] = {}


def job(name: str):
    """Register the decorated function as the job called `name`."""

    def register(function: Callable) -> Callable:
        _JOBS[name] = function
        return function

    return register


def registered() -> dict[str, Callable]:
    return dict(_JOBS)


def enqueue(name: str, *args, **kwargs):
    """Ask for job `name` to run; here, at once."""
    return _JOBS[name](*args, **kwargs)
