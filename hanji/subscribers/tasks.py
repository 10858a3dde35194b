"""Background work of the subscribers app: leaves that unpack ids and call actions. They are
queued by name (`hanji.subscribers.queue`) once the transaction commits, and are safe to run
twice (a second confirmation email carries an equally valid link)."""

from __future__ import annotations

from django.tasks import task

from hanji.subscribers import actions, importer


@task()
def send_confirmation(
    subscriber_id: int,
    newsletter_ids: list[int],
    advertising: bool,
    name: str,
    next_path: str = "",
) -> None:
    actions.mail_confirmation(subscriber_id, newsletter_ids, advertising, name, next_path)


@task()
def send_welcome(subscriber_id: int, newsletter_ids: list[int]) -> None:
    actions.mail_welcome(subscriber_id, newsletter_ids)


@task()
def send_sign_in_link(subscriber_id: int, next_path: str = "") -> None:
    actions.mail_sign_in_link(subscriber_id, next_path)


@task()
def send_email_change_link(subscriber_id: int, new_email: str) -> None:
    actions.mail_email_change_link(subscriber_id, new_email)


@task()
def run_import(import_id: int) -> None:
    importer.run_import(import_id)
