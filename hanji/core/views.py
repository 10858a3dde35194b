from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.tasks import task_backends
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _task_backend_answers() -> bool:
    backend = task_backends["default"]
    model = getattr(backend, "model", None)
    if model is None:
        from django_tasks_db.models import DBTaskResult as model
    model.objects.only("pk").first()
    return True


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in (("database", _database_answers), ("tasks", _task_backend_answers)):
        try:
            checks[name] = "ok" if check() else "failing"
        except Exception as error:  # any failure of a dependency means "not healthy"
            logger.warning("health check %s failed: %s", name, error)
            checks[name] = "failing"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )
