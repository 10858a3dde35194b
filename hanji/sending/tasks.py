"""Tasks of the "sending" queue (run by `manage.py db_worker --queue-name sending`).

Leaves: each unpacks its ids and calls an action (`hanji.sending.actions`); they are queued by
`hanji.sending.queue`, which names them, so nothing imports this module but the task backend.
A send runs as LOOPS loop tasks (one per worker that may help), watched by a task that re-arms
itself while the send is active: after a worker is killed, the watcher (or the periodic job
`start_due_sends`) enqueues fresh loops, which take over the dead worker's claims once their
lease ends.
"""

from __future__ import annotations

from django.tasks import task

from hanji.sending import actions

QUEUE = "sending"


@task(queue_name=QUEUE)
def prepare_send(send_id: int) -> str:
    return actions.prepare_send(send_id)


# Below other tasks: with one worker, confirmation and sign-in mail go first whenever a loop
# gives the worker back (every SLICE_SECONDS).
@task(queue_name=QUEUE, priority=-10)
def run_loop(send_id: int) -> str:
    return actions.run_loop(send_id)


@task(queue_name=QUEUE)
def watch_send(send_id: int, armed_at: str) -> str:
    return actions.watch_send(send_id, armed_at)
