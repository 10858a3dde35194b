"""`hanji send start|status|pause|resume|cancel|test|run`."""

from __future__ import annotations

import time
from datetime import datetime

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending import actions, queries
from hanji.sending.models import Send
from hanji.subscribers.models import Newsletter, Segment


def publication_by_slug(slug: str | None) -> Publication:
    if slug:
        found = Publication.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(_("no publication with the slug %(slug)s") % {"slug": slug})
        return found
    publications = list(Publication.objects.all()[:2])
    if len(publications) != 1:
        raise CommandError(_("say which publication with --publication SLUG"))
    return publications[0]


def _one(model, publication: Publication, value: str, what: str):
    rows = model.objects.filter(publication=publication)
    lookup = Q(pk=int(value)) if value.isdigit() else Q()
    if hasattr(model, "slug"):
        lookup |= Q(slug=value)
    if hasattr(model, "name"):
        lookup |= Q(name=value)
    found = rows.filter(lookup).first()
    if found is None:
        raise CommandError(
            _("no %(what)s %(value)s in %(publication)s")
            % {"what": what, "value": value, "publication": publication.slug}
        )
    return found


def _send(value: str) -> Send:
    found = Send.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if found is None:
        raise CommandError(_("no send %(id)s") % {"id": value})
    return found


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("not a time: %(value)s (use 2026-03-01T07:00)") % {"value": value}
        ) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(HanjiCommand):
    help = gettext_lazy(
        "Send a post to a newsletter and follow the send: start, status, pause, resume, cancel, "
        "test (to chosen addresses) and run (a sending loop in this terminal)."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        start = sub.add_parser("start", help=_("Send a post (now or at --at)."))
        start.add_argument("post", help=_("the post's slug or id"))
        start.add_argument(
            "--publication", help=_("publication slug (needed when there are several)")
        )
        start.add_argument("--newsletter", help=_("newsletter slug (default: the first)"))
        start.add_argument("--segment", help=_("segment name or id (default: every subscriber)"))
        start.add_argument("--at", help=_("send at this time (ISO 8601, local time)"))
        start.add_argument("--subject", default="", help=_("subject (default: the post title)"))
        start.add_argument("--preheader", default="")
        start.add_argument(
            "--advertising",
            action="store_true",
            help=_("an advertising email: (광고) subject, the contact block, the night hold"),
        )
        start.add_argument(
            "--again", action="store_true", help=_("send again, to those who did not get it")
        )
        start.add_argument(
            "--wait", action="store_true", help=_("stay and show progress until the send ends")
        )

        status = sub.add_parser("status", help=_("Progress of one send, or the recent sends."))
        status.add_argument("send", nargs="?", help=_("send id"))
        status.add_argument("--publication")
        status.add_argument(
            "--watch", action="store_true", help=_("refresh every second until it ends")
        )
        status.add_argument(
            "--recipients", action="store_true", help=_("list every recipient with what happened")
        )

        for name, text in (
            ("pause", _("Pause a send.")),
            ("cancel", _("Cancel a send; what was sent stays sent.")),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("send", help=_("send id"))
        resume = sub.add_parser(
            "resume", help=_("Resume a paused send (or lift a publication's pause).")
        )
        resume.add_argument("send", nargs="?", help=_("send id"))
        resume.add_argument(
            "--publication", help=_("lift the pause of this publication (after complaints)")
        )

        test = sub.add_parser(
            "test", help=_("Send the email of a post to chosen addresses, marked as a test.")
        )
        test.add_argument("post")
        test.add_argument("--publication")
        test.add_argument("--newsletter")
        test.add_argument("--to", action="append", required=True, help=_("address (repeatable)"))

        run = sub.add_parser("run", help=_("Run a sending loop for a send in this terminal."))
        run.add_argument("send", help=_("send id"))

    def handle(self, *, action: str, **options) -> None:
        getattr(self, f"do_{action}")(**options)

    def do_start(
        self,
        *,
        post: str,
        publication: str | None,
        newsletter: str | None,
        segment: str | None,
        at: str | None,
        subject: str,
        preheader: str,
        advertising: bool,
        again: bool,
        wait: bool,
        **_options,
    ) -> None:
        pub = publication_by_slug(publication)
        the_post = _one(Post, pub, post, _("post"))
        the_newsletter = _one(Newsletter, pub, newsletter, _("newsletter")) if newsletter else None
        the_segment = _one(Segment, pub, segment, _("segment")) if segment else None
        try:
            send = actions.start_send_for_post(
                the_post, the_newsletter, the_segment, subject=subject, preheader=preheader,
                at=_when(at), is_advertising=advertising, again=again,
            )  # fmt: skip
        except actions.SendError as error:
            raise CommandError(str(error)) from None
        if not getattr(send, "created", True):
            self.say(
                _("This send already exists: %(id)s (%(state)s).")
                % {"id": send.pk, "state": send.get_state_display()}
            )
        else:
            self.say(_("Send %(id)s: %(subject)s → %(newsletter)s, at %(when)s.") % {
                "id": send.pk, "subject": send.subject, "newsletter": send.newsletter.name,
                "when": timezone.localtime(send.scheduled_at).strftime("%Y-%m-%d %H:%M"),
            })  # fmt: skip
        if wait:
            self._watch(send)

    def do_status(
        self,
        *,
        send: str | None,
        publication: str | None,
        watch: bool,
        recipients: bool = False,
        **_options,
    ) -> None:
        if send:
            the_send = _send(send)
            if recipients:
                for d in queries.recipients_of(the_send).iterator():
                    when = (
                        timezone.localtime(d.sent_at).strftime("%Y-%m-%d %H:%M:%S")
                        if d.sent_at
                        else ""
                    )
                    self.say(f"{d.subscriber.email}\t{d.get_state_display()}\t{when}\t{d.error}")
                return
            if watch:
                self._watch(the_send)
            else:
                self._show(the_send)
            return
        rows = Send.objects.select_related("newsletter").order_by("-created_at")
        if publication:
            rows = rows.filter(publication=publication_by_slug(publication))
        for row in rows[:20]:
            p = queries.progress(row)
            self.say(
                f"{row.pk:>6}  {row.get_state_display():<8} {p.sent:>8}/{p.total:<8} {row.subject[:40]}  → {row.newsletter.name}"
            )

    def _show(self, send: Send) -> None:
        send.refresh_from_db()
        p = queries.progress(send)
        self.say(_("Send %(id)s: %(state)s") % {"id": send.pk, "state": send.get_state_display()})
        self.say(
            _(
                "  total %(total)s · sent %(sent)s · failed %(failed)s · skipped %(skipped)s · remaining %(remaining)s"
            )
            % p.__dict__
        )
        if p.held:
            self.say(
                _("  %(held)s waiting for a later time (retries, the night hold or a daily limit)")
                % {"held": p.held}
            )
        if p.rate:
            eta = timezone.localtime(p.eta).strftime("%H:%M:%S") if p.eta else "-"
            self.say(
                _("  %(rate).1f messages a second · done by %(eta)s") % {"rate": p.rate, "eta": eta}
            )
        if p.transport_error and send.state == "sending":
            self.say(_("  the transport is failing: %(error)s") % {"error": p.transport_error})
        if p.reason:
            self.say(_("  why: %(reason)s") % {"reason": p.reason})

    def _watch(self, send: Send) -> None:
        while True:
            self._show(send)
            if send.state in ("sent", "cancelled", "failed", "paused"):
                return
            time.sleep(1)

    def do_pause(self, *, send: str, **_options) -> None:
        if not actions.pause_send(_send(send).pk, reason=_("paused from the command line")):
            raise CommandError(_("send %(id)s is not running") % {"id": send})
        self.say(_("Paused send %(id)s.") % {"id": send})

    def do_resume(self, *, send: str | None, publication: str | None, **_options) -> None:
        if publication:
            count = actions.resume_publication(publication_by_slug(publication))
            self.say(
                _("Sending is on again for %(slug)s; %(count)s sends resumed.")
                % {"slug": publication, "count": count}
            )
            return
        if not send:
            raise CommandError(_("say which send (or --publication SLUG)"))
        try:
            resumed = actions.resume_send(_send(send).pk)
        except actions.SendError as error:
            raise CommandError(str(error)) from None
        if not resumed:
            raise CommandError(_("send %(id)s is not paused") % {"id": send})
        self.say(_("Resumed send %(id)s: it continues with what is not yet sent.") % {"id": send})

    def do_cancel(self, *, send: str, **_options) -> None:
        if not actions.cancel_send(_send(send).pk):
            raise CommandError(_("send %(id)s has already ended") % {"id": send})
        self.say(_("Cancelled send %(id)s.") % {"id": send})

    def do_test(
        self,
        *,
        post: str,
        publication: str | None,
        newsletter: str | None,
        to: list[str],
        **_options,
    ) -> None:
        pub = publication_by_slug(publication)
        the_post = _one(Post, pub, post, _("post"))
        the_newsletter = _one(Newsletter, pub, newsletter, _("newsletter")) if newsletter else None
        try:
            outcomes = actions.send_test(the_post, to, the_newsletter)
        except (actions.SendError, ValueError) as error:
            raise CommandError(str(error)) from None
        for address, outcome in zip(to, outcomes, strict=False):
            self.say(f"{address}: {outcome.status} {outcome.detail}")
        if any(o.status != "sent" for o in outcomes):
            raise CommandError(_("some test messages did not go out"))

    def do_run(self, *, send: str, **_options) -> None:
        from hanji.sending.loop import SendLoop

        self.say(SendLoop(_send(send).pk).run())
