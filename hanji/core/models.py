from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An email Hanji would have sent, kept when no EMAIL_URL is configured."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    publication = models.ForeignKey(
        "publications.Publication",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    from_email = models.CharField(max_length=320)
    to = models.TextField(help_text=_("Recipients, one per line"))
    subject = models.CharField(max_length=998)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    raw = models.BinaryField(help_text=_("The RFC 5322 message as it would have left"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class PeriodicJob(models.Model):
    """The last run of one of settings.HANJI_PERIODIC_JOBS (see hanji.core.scheduler).

    Workers claim a due job with one conditional UPDATE, so across processes and machines a
    job runs at most once per period and never twice at the same time; keeping the last run
    here means a restarted worker neither repeats nor skips it.
    """

    name = models.CharField(_("job"), max_length=200, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    # While a worker runs the job it holds this lease and renews it; a worker that dies
    # leaves it to expire, after which another worker may run the job again.
    running_until = models.DateTimeField(_("running until"), null=True, blank=True)
    claimed_by = models.CharField(_("worker"), max_length=100, blank=True)
    runs = models.PositiveBigIntegerField(_("runs"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name


class WorkerProcess(models.Model):
    """A running `hanji worker` and its last sign of life (see hanji.core.workers).

    django-tasks-db marks a task "running" when a worker claims it and keeps no lease, so a
    worker killed mid-task would leave it "running" for ever; a worker whose heartbeat here
    stops has its running tasks marked failed by the other workers.
    """

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"))
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        ordering = ["started_at"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return self.worker_id
