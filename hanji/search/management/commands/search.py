"""`hanji search QUERY [--publication SLUG] [--drafts]` and `hanji search --rebuild`."""

from __future__ import annotations

import html
import json
import re

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand


def _plain(marked: str, color: bool) -> str:
    """Escaped HTML with <mark> → terminal text, the marks bold (or in [brackets])."""
    start, end = ("\x1b[1m", "\x1b[0m") if color else ("[", "]")
    text = re.sub(r"<mark>(.*?)</mark>", lambda m: start + m.group(1) + end, marked)
    return html.unescape(text)


class Command(HanjiCommand):
    help = gettext_lazy(
        "Search a publication's posts as its readers do (--drafts: as the studio does); "
        "--rebuild indexes every post again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("query", nargs="?", default="", help=_("What to look for."))
        parser.add_argument(
            "--publication",
            metavar="SLUG",
            help=_("The publication; may be left out when there is only one."),
        )
        parser.add_argument(
            "--drafts",
            action="store_true",
            help=_("Search every post and its whole text, drafts too (as the studio does)."),
        )
        parser.add_argument("--limit", type=int, default=10, help=_("How many results (10)."))
        parser.add_argument("--json", action="store_true", help=_("One JSON object per line."))
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help=_("Index every post again (of --publication, or of every publication)."),
        )

    def handle(self, *, query: str, **options) -> None:
        from hanji.core.management.commands.post import Command as PostCommand

        if options["rebuild"]:
            return self.rebuild(options["publication"])
        if not query.strip():
            raise CommandError(_("say what to look for: hanji search WORDS"))
        publication = PostCommand._publication(self, options["publication"])
        self.search(publication, query, options)

    def rebuild(self, slug: str | None) -> None:
        from hanji.core.management.commands.post import Command as PostCommand
        from hanji.search.actions import rebuild_index

        publication_id = PostCommand._publication(self, slug).pk if slug else None
        count = rebuild_index(publication_id)
        self.stdout.write(_("Indexed %(count)d posts.") % {"count": count})

    def search(self, publication, query: str, options: dict) -> None:
        from hanji.posts.models import Post
        from hanji.search.queries import search_posts

        drafts = options["drafts"]
        everything = Post.objects.filter(publication=publication) if drafts else None
        limit = max(1, min(options["limit"], 50))
        results = search_posts(
            publication, query, full_text_of=everything, visible=everything, limit=limit
        )
        if not results:
            self.stdout.write(_("Nothing found for “%(q)s”.") % {"q": query})
            return
        color = not options["json"] and self.stdout.isatty()
        for result in results:
            post = result.post
            if options["json"]:
                row = {
                    "id": post.pk,
                    "slug": post.slug,
                    "title": post.title,
                    "status": post.status,
                    "published_at": post.published_at.isoformat() if post.published_at else None,
                    "snippet": _plain(result.snippet, False),
                }
                self.stdout.write(json.dumps(row, ensure_ascii=False))
                continue
            when = f"{post.published_at:%Y-%m-%d}" if post.published_at else _("draft")
            self.stdout.write(f"{_plain(result.title, color)}  ({when}, /{post.slug}/)")
            self.stdout.write("    " + _plain(result.snippet, color))
