"""`hanji post publish FILE.md [--publication SLUG] [--send] [--draft]`."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import unquote

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand, HanjiParser

EXAMPLE = """\
---
title: 이번 주 소식
subtitle: 한 줄 요약
category: 스타트업
tags: [AI, 투자]
visibility: public        # public, subscribers or paid
slug: this-week
date: 2025-03-03 07:00    # optional; a later time schedules the post
---
본문은 Markdown으로 씁니다.
"""


class Command(HanjiCommand):
    help = gettext_lazy("Posts from files: hanji post publish FILE.md")

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(
            dest="action", metavar="ACTION", required=True, parser_class=HanjiParser
        )
        publish = actions.add_parser(
            "publish",
            help=_("Publish a Markdown file as a post."),
            description=_(
                "Publish a Markdown file with YAML front matter as a post (the slug of an "
                "existing post updates it). A file with a mistake writes nothing."
            ),
            epilog=EXAMPLE,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        publish.add_argument("file", metavar="FILE.md", help=_("The Markdown file."))
        publish.add_argument(
            "--publication",
            metavar="SLUG",
            help=_("The publication; may be left out when there is only one."),
        )
        publish.add_argument(
            "--send",
            action="store_true",
            help=_("Also email it to the subscribers once it is published."),
        )
        publish.add_argument(
            "--draft", action="store_true", help=_("Save it as a draft; do not publish.")
        )

    def handle(self, *, action: str, **options) -> None:
        if action == "publish":
            self.publish(
                Path(options["file"]), options["publication"], options["send"], options["draft"]
            )

    def publish(self, path: Path, slug: str | None, send: bool, draft: bool) -> None:
        from hanji.core.frontmatter import FrontMatterError, read_post_file

        if send and draft:
            raise CommandError(_("--send and --draft do not go together: a draft is not sent"))
        publication = self._publication(slug)
        try:
            source = read_post_file(path, publication.time_zone)
        except FrontMatterError as error:
            raise CommandError(str(error)) from None
        from hanji.posts.body import block_errors

        if problems := block_errors(source.body_markdown):
            # Members-only blocks that do not close would hide or show the wrong text.
            raise CommandError(f"{path}: " + "; ".join(problems))
        authors = self._authors(publication, source, path)
        start_send = self._send_function() if send else None

        from hanji.posts.actions import publish_post, save_post
        from hanji.posts.models import Post, Status

        with transaction.atomic():
            existing = (
                Post.objects.filter(publication=publication, slug=source.slug).first()
                if source.slug
                else None
            )
            post = save_post(
                publication,
                post=existing,
                title=source.title,
                subtitle=source.subtitle,
                body_markdown=source.body_markdown,
                slug=source.slug,
                category=source.category or None,
                tags=source.tags,
                authors=authors,
                visibility=source.visibility,
                excerpt=source.excerpt,
            )
            if not draft:
                post = publish_post(post, at=source.published_at)
            elif source.published_at:
                post.published_at = source.published_at
                post.save(update_fields=["published_at", "updated_at"])
        self._report(post, existing is not None, Status)
        if start_send is not None:
            try:
                start_send(post)
            except ValueError as error:
                raise CommandError(
                    _("the post is saved, but the send did not start: %(error)s") % {"error": error}
                ) from None
            self.say(_("Sending started; follow it in the studio."), self.style.SUCCESS)

    def _publication(self, slug: str | None):
        from hanji.publications.models import Publication

        if slug:
            publication = Publication.objects.filter(slug=slug).first()
            if publication is None:
                raise CommandError(_("no publication with the slug %(slug)s") % {"slug": slug})
            return publication
        slugs = list(Publication.objects.order_by("slug").values_list("slug", flat=True)[:11])
        if not slugs:
            raise CommandError(
                _(
                    "there is no publication yet; create one with: hanji publication create SLUG --name NAME"
                )
            )
        if len(slugs) > 1:
            shown = ", ".join(slugs[:10]) + (" …" if len(slugs) > 10 else "")
            raise CommandError(
                _("say which publication with --publication SLUG (one of: %(slugs)s)")
                % {"slugs": shown}
            )
        return Publication.objects.get(slug=slugs[0])

    def _authors(self, publication, source, path: Path) -> list:
        if not source.author:
            return []
        from django.db.models import Q

        from hanji.publications.models import Author

        author = Author.objects.filter(
            Q(slug=source.author) | Q(name=source.author), publication=publication
        ).first()
        if author is None:
            raise CommandError(
                _("%(file)s:%(line)s: author: %(name)s is not an author of %(publication)s")
                % {
                    "file": path,
                    "line": source.author_line,
                    "name": repr(source.author),
                    "publication": publication.slug,
                }
            )
        return [author]

    def _send_function(self):
        """hanji.sending.actions.start_send_for_post, imported only when --send asks for it."""
        try:
            from hanji.sending.actions import start_send_for_post
        except ImportError:
            raise CommandError(
                _(
                    "--send is not available in this version of Hanji yet "
                    "(hanji.sending.actions.start_send_for_post is missing); nothing was written"
                )
            ) from None
        return start_send_for_post

    def _report(self, post, updated: bool, Status) -> None:
        from django.utils.formats import date_format

        from hanji.publications.links import absolute_url

        # Readable in a terminal: Korean slugs shown as Hangul, not percent-escapes.
        url = unquote(absolute_url(post.publication, "site:post", slug=post.slug))
        names = {"title": post.title, "url": url}
        if post.status == Status.DRAFT:
            message = _("Saved the draft “%(title)s”.") % names
        elif post.status == Status.SCHEDULED:
            when = timezone.localtime(post.published_at, timezone=_zone(post.publication))
            names["when"] = date_format(when, "Y-m-d H:i")
            message = _("Scheduled “%(title)s” for %(when)s: %(url)s") % names
        elif updated:
            message = _("Updated “%(title)s”: %(url)s") % names
        else:
            message = _("Published “%(title)s”: %(url)s") % names
        self.say(message, self.style.SUCCESS)


def _zone(publication):
    from zoneinfo import ZoneInfo

    return ZoneInfo(publication.time_zone)
