"""`hanji subscribers import FILE.csv --publication SLUG …`, `hanji subscribers export …` and
`hanji subscribers recount [--publication SLUG]`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy

from hanji.publications.models import Publication
from hanji.subscribers.models import (
    ImportRejection,
    ImportState,
    Newsletter,
    Segment,
    Source,
    SubscriberStatus,
)


def _publication(slug: str) -> Publication:
    try:
        return Publication.objects.get(slug=slug)
    except Publication.DoesNotExist:
        raise CommandError(f"No publication with the slug {slug!r}.") from None


def _newsletters(publication: Publication, names: list[str]) -> list[Newsletter]:
    found = []
    for name in names:
        newsletter = (
            Newsletter.objects.filter(publication=publication, slug=name).first()
            or Newsletter.objects.filter(publication=publication, name=name).first()
            or (
                Newsletter.objects.filter(publication=publication, pk=int(name)).first()
                if name.isdigit()
                else None
            )
        )
        if newsletter is None:
            known = ", ".join(
                Newsletter.objects.filter(publication=publication).values_list("slug", flat=True)
            )
            raise CommandError(f"No newsletter {name!r} in {publication.slug} (known: {known}).")
        found.append(newsletter)
    return found


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date: {value!r} (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = gettext_lazy("Import subscribers from CSV, or export them as CSV.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="Import subscribers from a CSV file.")
        imp.add_argument("file", help="CSV file (UTF-8 with or without BOM, or CP949/EUC-KR)")
        imp.add_argument("--publication", required=True, help="publication slug")
        imp.add_argument(
            "--newsletter", action="append", default=[], help="newsletter slug (repeatable)"
        )
        imp.add_argument("--status", choices=["active", "pending"], default="active")
        imp.add_argument("--tag", action="append", default=[], help="tag to add (repeatable)")
        imp.add_argument(
            "--consent",
            default="",
            help="the statement the consent of active subscribers rests on "
            "(default: names the operator, the file and the time)",
        )
        imp.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help="map a header to email, name, tags, created or status",
        )
        imp.add_argument("--report", help="write every rejected line to this CSV file")
        imp.add_argument(
            "--background", action="store_true", help="queue it for the worker instead"
        )
        imp.add_argument("--no-progress", action="store_true", help="no progress bar")

        exp = sub.add_parser("export", help="Export subscribers as CSV.")
        exp.add_argument("--publication", required=True, help="publication slug")
        exp.add_argument("--status", action="append", default=[], choices=SubscriberStatus.values)
        exp.add_argument("--newsletter", help="newsletter slug")
        exp.add_argument("--tag", action="append", default=[], help="any of these tags")
        exp.add_argument("--source", choices=Source.values)
        exp.add_argument(
            "--since", help="signed up on or after this day (YYYY-MM-DD, the publication's zone)"
        )
        exp.add_argument(
            "--until", help="signed up on or before this day (YYYY-MM-DD, the publication's zone)"
        )
        exp.add_argument("--segment", help="a saved segment's name")
        exp.add_argument("--output", "-o", help="file to write (default: standard output)")
        exp.add_argument("--excel-bom", action="store_true", help="UTF-8 with BOM, for Excel")

        recount = sub.add_parser(
            "recount",
            help="Count the subscribers per status again (after writing rows by hand in SQL).",
        )
        recount.add_argument("--publication", help="publication slug (default: every one)")

    def handle(self, *args, **options) -> None:
        if options["action"] == "import":
            self.do_import(options)
        elif options["action"] == "recount":
            self.do_recount(options)
        else:
            self.do_export(options)

    def do_recount(self, options) -> None:
        from hanji.subscribers import counts

        if options["publication"]:
            publication = _publication(options["publication"])
            found = counts.recount(publication.pk)
            figures = ", ".join(f"{status} {n}" for status, n in found.items())
            self.stdout.write(f"{publication.slug}: {figures}")
        else:
            corrected = counts.recount_all()
            self.stdout.write(f"Recounted every publication; {corrected} counts corrected.")

    # --- import -----------------------------------------------------------------------------

    def do_import(self, options) -> None:
        from hanji.subscribers.importer import create_import, enqueue_import, run_import

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        publication = _publication(options["publication"])
        overrides = {}
        for item in options["column"]:
            field, _sep, header = item.partition("=")
            if field not in {"email", "name", "tags", "created", "status"} or not header:
                raise CommandError(f"--column wants FIELD=HEADER, got {item!r}")
            overrides[field] = header
        import_run = create_import(
            publication,
            str(path.resolve()),
            status=options["status"],
            newsletters=_newsletters(publication, options["newsletter"]),
            tags=options["tag"],
            consent=options["consent"],
        )
        if options["background"]:
            enqueue_import(import_run)
            self.stdout.write(f"Import #{import_run.pk} queued for the worker.")
            return
        if options["no_progress"] or not sys.stderr.isatty() and options["verbosity"] < 2:
            import_run = run_import(import_run.pk, overrides=overrides)
        else:
            import_run = self._with_progress(import_run, run_import, overrides)
        self._report(import_run, options.get("report"), path)

    def _with_progress(self, import_run, run_import, overrides):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(import_run.filename, total=None)

            def progress(current):
                bar.update(
                    task,
                    total=max(current.total_rows, current.processed_rows),
                    completed=current.processed_rows,
                )

            return run_import(import_run.pk, progress=progress, overrides=overrides)

    def _report(self, import_run, report_path: str | None, source: Path) -> None:
        if import_run.state == ImportState.FAILED:
            raise CommandError(f"Import failed: {import_run.error}")
        seconds = (import_run.finished_at - import_run.started_at).total_seconds()
        self.stdout.write(
            f"Import #{import_run.pk} of {import_run.filename} ({import_run.encoding}): "
            f"{import_run.processed_rows} rows in {seconds:.1f} s; "
            f"{import_run.created_count} new, {import_run.merged_count} merged, "
            f"{import_run.unchanged_count} unchanged, "
            f"{import_run.duplicate_count} duplicate rows merged, "
            f"{import_run.suppressed_count} kept suppressed, {import_run.rejected_count} rejected."
        )
        if not import_run.rejected_count:
            return
        rejections = ImportRejection.objects.filter(import_run=import_run)
        for rejection in rejections[:20]:
            self.stdout.write(f"  line {rejection.line}: {rejection.reason} {rejection.excerpt!r}")
        if import_run.rejected_count > 20 and not report_path:
            report_path = str(source) + ".rejected.csv"
        if report_path:
            from hanji.subscribers.exporter import csv_writer, neutralize

            with open(report_path, "w", newline="", encoding="utf-8-sig") as out:
                writer = csv_writer(out)
                writer.writerow(["line", "reason", "excerpt"])
                for rejection in rejections.iterator(chunk_size=5000):
                    row = [
                        rejection.line,
                        neutralize(rejection.reason),
                        neutralize(rejection.excerpt),
                    ]
                    writer.writerow(row)
            self.stdout.write(f"Every rejected line, with its reason: {report_path}")

    # --- export -----------------------------------------------------------------------------

    def do_export(self, options) -> None:
        from hanji.subscribers.exporter import write_csv
        from hanji.subscribers.queries import (
            filter_subscribers,
            segment_queryset,
            signup_bounds,
            subscribers_of,
        )

        publication = _publication(options["publication"])
        if options["segment"]:
            segment = Segment.objects.filter(
                publication=publication, name=options["segment"]
            ).first()
            if segment is None:
                raise CommandError(f"No segment named {options['segment']!r}.")
            queryset = segment_queryset(segment)
        else:
            queryset = subscribers_of(publication)
        newsletter = (
            _newsletters(publication, [options["newsletter"]])[0] if options["newsletter"] else None
        )
        after, before = signup_bounds(publication, _date(options["since"]), _date(options["until"]))
        queryset = filter_subscribers(
            queryset,
            statuses=options["status"],
            newsletter=newsletter,
            tags=options["tag"],
            signed_up_after=after,
            signed_up_before=before,
            source=options["source"] or "",
        )
        if options["output"]:
            with open(options["output"], "w", newline="", encoding="utf-8") as out:
                count = write_csv(out, publication, queryset, excel_bom=options["excel_bom"])
            self.stderr.write(f"Exported {count} subscribers to {options['output']}.")
        else:
            count = write_csv(
                self.stdout._out, publication, queryset, excel_bom=options["excel_bom"]
            )
