"""Queueing the subscribers app's background work.

Imports nothing of the app but its settings: tasks are named here and looked up when the
transaction commits, so actions and the importer queue work without importing the tasks
(which call them).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.module_loading import import_string

TASKS = "hanji.subscribers.tasks"


def enqueue(name: str, *args) -> None:
    """Enqueue the subscribers task `name` once the transaction commits."""
    transaction.on_commit(lambda: import_string(f"{TASKS}.{name}").enqueue(*args))
