"""Publishing a Celery task by its name, for services whose app's ``tasks.py`` imports them.

A service that imported its own app's tasks module would close an import loop (the tasks call the
services), so services publish by the registered name instead: the name is the contract.
"""

import celery


def registered_task(name: str) -> celery.Task:
    """The task registered under ``name``. A worker imports every app's tasks module when it starts;
    a web process or a command has not, so it does so here, once."""
    app = celery.current_app
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def task_publish(name: str, *, args: list, countdown: int | None = None) -> None:
    """Publish the task registered under ``name`` (honouring eager mode); the broker's error, if any,
    is raised."""
    registered_task(name).apply_async(args=args, countdown=countdown, retry=False)
