"""`hanji subscribers import`: encodings, bad files, merging, suppression, consent, progress."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hanji.subscribers import actions
from hanji.subscribers.importer import create_import, run_import
from hanji.subscribers.models import (
    ConsentEvent,
    Import,
    ImportRejection,
    ImportState,
    Subscriber,
    SubscriberStatus,
    Subscription,
)
from hanji.subscribers.queries import segment_recipients

pytestmark = pytest.mark.django_db


@pytest.fixture
def write(tmp_path):
    def write(content: str | bytes, name: str = "list.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return str(path)

    return write


def hanji_import(path, *args, publication="weekly"):
    out = io.StringIO()
    call_command(
        "subscribers",
        "import",
        path,
        "--publication",
        publication,
        "--no-progress",
        *args,
        stdout=out,
    )
    return out.getvalue()


def rejections(import_run=None):
    import_run = import_run or Import.objects.latest("id")
    return [(r.line, r.reason) for r in ImportRejection.objects.filter(import_run=import_run)]


def emails():
    return sorted(Subscriber.objects.values_list("email", flat=True))


def test_it_imports_a_korean_excel_file_in_cp949(publication, weekly, write):
    path = write('이메일,이름,태그\nkim@example.com,김한지,"vip, 서울"\n', encoding="cp949")
    out = hanji_import(path)
    assert "cp949" in out
    kim = Subscriber.objects.get(email="kim@example.com")
    assert kim.name == "김한지"
    assert kim.tags == ["vip", "서울"]
    assert kim.status == SubscriberStatus.ACTIVE
    assert kim.source == "import"
    assert list(segment_recipients(publication, weekly)) == [kim]


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
def test_it_reads_utf8_with_or_without_bom(publication, weekly, write, bom):
    write_path = write(bom + "Email,Name\nlee@example.com,이수아\n".encode())
    hanji_import(write_path)
    assert Subscriber.objects.get(email="lee@example.com").name == "이수아"


def test_a_file_mixing_encodings_loses_no_line(publication, weekly, write):
    content = (
        b"email,name\n"
        + "a@example.com,가나다\n".encode()
        + "b@example.com,라마바\n".encode("cp949")
        + b"c@example.com,\xff\xfe\xfd\n"
    )
    hanji_import(write(content))
    assert Subscriber.objects.get(email="a@example.com").name == "가나다"
    assert Subscriber.objects.get(email="b@example.com").name == "라마바"
    assert [line for line, _ in rejections()] == [4]


def test_an_empty_file_and_a_file_without_an_email_column_fail_clearly(publication, weekly, write):
    with pytest.raises(CommandError, match="empty"):
        hanji_import(write("", name="empty.csv"))
    with pytest.raises(CommandError, match="email"):
        hanji_import(write("name,phone\n김,010\n", name="noemail.csv"))
    with pytest.raises(CommandError, match="email"):  # quoted in the error, a NUL is shown as �
        hanji_import(write("name\x00,phone\n", name="nul.csv"))
    assert Subscriber.objects.count() == 0
    assert Import.objects.filter(state=ImportState.FAILED).count() == 3
    assert "name\ufffd" in Import.objects.latest("id").error


def test_a_headerless_list_of_addresses_is_read_as_one_address_per_line(publication, weekly, write):
    hanji_import(write("one@example.com\ntwo@example.com,Two\n"))
    assert emails() == ["one@example.com", "two@example.com"]


def test_every_bad_line_is_reported_with_its_number_and_the_good_rows_are_imported(
    publication, weekly, write
):
    content = (
        "email,name,extra\n"
        "good1@example.com,One\n"  # ragged: fewer cells
        "good2@example.com,Two,x,y,z\n"  # ragged: more cells
        "not-an-address,Bad\n"
        '=HYPERLINK("http://evil"),Formula\n'
        ",empty email\n"
        '"evil@example.com\r\nBcc: x@y.z",Inject\n'  # quoted: one cell over two lines
        "good3@example.com,=1+2\n"
    )
    out = hanji_import(write(content))
    assert emails() == ["good1@example.com", "good2@example.com", "good3@example.com"]
    reported = rejections()
    assert [line for line, _ in reported] == [4, 5, 6, 8]
    assert all(reason for _, reason in reported)
    assert "line 4" in out
    # A formula in a name is kept as text (the export neutralizes it, pages escape it).
    assert Subscriber.objects.get(email="good3@example.com").name == "=1+2"


def test_a_100_mb_line_is_skipped_without_being_read_whole(publication, weekly, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as out:
        out.write(b"email,name\nbefore@example.com,A\n")
        out.write(b"huge@example.com,")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            out.write(chunk)
        out.write(b"\nafter@example.com,B\n")
    hanji_import(str(path))
    assert emails() == ["after@example.com", "before@example.com"]
    assert rejections() == [(3, "The line is longer than 64 KB.")]


def test_duplicates_in_the_file_and_against_the_list_are_merged_not_doubled(
    publication, weekly, digest, make_subscriber, write
):
    make_subscriber("old@example.com", newsletters=[weekly], tags=["kept"])
    content = (
        "email,name,tags\n"
        "dup@example.com,,a\n"
        "DUP@EXAMPLE.COM,,\n"  # the same mailbox typed in capitals
        "dup@Example.com,둘리,b\n"
        "old@example.com,올드,new\n"
    )
    hanji_import(write(content), "--newsletter", "daily")
    dup = Subscriber.objects.get(email="dup@example.com")
    assert (dup.name, dup.tags) == ("둘리", ["a", "b"])
    assert Subscriber.objects.filter(email__iexact="dup@example.com").count() == 1
    old = Subscriber.objects.get(email="old@example.com")
    assert (old.name, sorted(old.tags)) == ("올드", ["kept", "new"])
    assert set(old.subscriptions.values_list("newsletter__slug", flat=True)) == {"weekly", "daily"}
    run = Import.objects.latest("id")
    assert (run.created_count, run.merged_count) == (1, 1)


def test_every_row_of_the_file_lands_in_exactly_one_count_of_the_report(
    publication, weekly, make_subscriber, write
):
    """10,000 rows read were 9,910 new + 60 rejected: the 30 duplicate rows were in no count."""
    make_subscriber("old@example.com", newsletters=[weekly])
    make_subscriber("same@example.com", newsletters=[weekly])
    content = (
        "email,name\n"
        "new1@example.com,\n"
        "new2@example.com,\n"
        "NEW1@example.com,일\n"  # a duplicate row, merged into the first
        "new1@example.com,\n"  # and another
        "old@example.com,새 이름\n"  # an existing subscriber without a name: updated
        "same@example.com,\n"  # an existing subscriber, nothing new
        "not an address,\n"
    )
    output = hanji_import(write(content))
    run = Import.objects.latest("id")
    counts = {
        "new": run.created_count,
        "duplicates": run.duplicate_count,
        "updated": run.merged_count,
        "unchanged": run.unchanged_count,
        "rejected": run.rejected_count,
    }
    assert counts == {"new": 2, "duplicates": 2, "updated": 1, "unchanged": 1, "rejected": 1}
    assert sum(counts.values()) + run.suppressed_count == run.processed_rows == 7
    assert "2 duplicate rows merged" in output


def test_suppressed_addresses_stay_suppressed(publication, weekly, make_subscriber, write):
    for status in ("unsubscribed", "bounced", "complained"):
        make_subscriber(f"{status}@example.com", status=status)
    content = "email\nunsubscribed@example.com\nbounced@example.com\ncomplained@example.com\n"
    hanji_import(write(content))
    for status in ("unsubscribed", "bounced", "complained"):
        subscriber = Subscriber.objects.get(email=f"{status}@example.com")
        assert subscriber.status == status
        assert not subscriber.subscriptions.exists()
    assert list(segment_recipients(publication, weekly)) == []
    assert Import.objects.latest("id").suppressed_count == 3


def test_a_status_column_brings_the_old_platforms_suppressions_along(publication, weekly, write):
    content = "email,status\na@example.com,subscribed\nb@example.com,unsubscribed\nc@example.com,스팸신고\n"
    hanji_import(write(content))
    statuses = dict(Subscriber.objects.values_list("email", "status"))
    assert statuses == {
        "a@example.com": "active",
        "b@example.com": "unsubscribed",
        "c@example.com": "complained",
    }
    assert [s.email for s in segment_recipients(publication, weekly)] == ["a@example.com"]


def test_a_reader_who_left_a_newsletter_is_not_put_back_on_it(
    publication, weekly, digest, make_subscriber, write
):
    reader = make_subscriber("left@example.com", newsletters=[weekly, digest])
    actions.unsubscribe(reader, weekly)
    hanji_import(
        write("email\nleft@example.com\n"), "--newsletter", "weekly", "--newsletter", "daily"
    )
    assert list(reader.subscriptions.values_list("newsletter__slug", flat=True)) == ["daily"]


def test_rows_another_writer_adds_meanwhile_are_left_alone(
    publication, other_publication, weekly, make_subscriber, write, monkeypatch
):
    """Right before each batch's INSERT, a reader subscribes through the form here and another
    publication gains a subscriber: neither is put on the import's newsletter."""
    from django.db import connection

    from hanji.subscribers import importer

    monkeypatch.setattr(importer, "BATCH", 2)
    batches = []

    def another_writer(execute, sql, params, many, context):
        if "INTO subscribers_subscriber (" in sql and "hanji_import_stage" in sql:
            batches.append(sql)
            make_subscriber(f"form{len(batches)}@example.com", status=SubscriberStatus.PENDING)
            make_subscriber(f"there{len(batches)}@example.com", pub=other_publication)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(another_writer):
        hanji_import(write("email\n" + "".join(f"r{i}@example.com\n" for i in range(5))))
    assert len(batches) == 3
    on_weekly = set(
        Subscription.objects.filter(newsletter=weekly).values_list("subscriber__email", flat=True)
    )
    assert on_weekly == {f"r{i}@example.com" for i in range(5)}
    assert Import.objects.latest("id").created_count == 5


def test_a_reader_who_deleted_their_data_is_not_imported_again(
    publication, weekly, make_subscriber, write
):
    actions.delete_subscriber(make_subscriber("erased@example.com"))
    hanji_import(write("email\nerased@example.com\nfine@example.com\n"))
    assert emails() == ["fine@example.com"]
    assert "deleted their data" in rejections()[0][1]


def test_importing_the_same_file_twice_changes_nothing(publication, weekly, write):
    path = write("email,name,tags\na@example.com,A,x\nb@example.com,,\n")
    hanji_import(path)
    before = (
        list(Subscriber.objects.order_by("id").values()),
        list(Subscription.objects.order_by("id").values()),
        ConsentEvent.objects.count(),
    )
    out = hanji_import(path)
    after = (
        list(Subscriber.objects.order_by("id").values()),
        list(Subscription.objects.order_by("id").values()),
        ConsentEvent.objects.count(),
    )
    assert before == after
    assert "0 new, 0 merged, 2 unchanged" in out


def test_an_active_import_records_whose_statement_the_consent_rests_on(publication, weekly, write):
    path = write("email\na@example.com\n", name="from-stibee.csv")
    hanji_import(path)
    a = Subscriber.objects.get(email="a@example.com")
    (record,) = [e for e in actions.consent_log(a) if e.action == "import-active"]
    assert "from-stibee.csv" in record.statement and "from-stibee.csv" in record.channel
    hanji_import(write("email\nb@example.com\n"), "--consent", "2024년 행사 현장에서 서면 동의")
    b = Subscriber.objects.get(email="b@example.com")
    assert [e.statement for e in actions.consent_log(b)] == ["2024년 행사 현장에서 서면 동의"]
    # The reader sees it in their own data export too.
    exported = actions.export_data(b)["consent_log"]
    assert exported[0]["statement"] == "2024년 행사 현장에서 서면 동의"


def test_a_pending_import_adds_pending_subscribers_who_receive_nothing(publication, weekly, write):
    hanji_import(write("email\np@example.com\n"), "--status", "pending", "--tag", "imported")
    subscriber = Subscriber.objects.get(email="p@example.com")
    assert (subscriber.status, subscriber.tags) == ("pending", ["imported"])
    assert list(segment_recipients(publication, weekly)) == []


def test_signup_dates_come_along_in_the_usual_formats(publication, weekly, write):
    content = (
        "email,created\n"
        "iso@example.com,2023-04-05T06:07:08+00:00\n"
        "dots@example.com,2023.04.05\n"
        "slash@example.com,2023/04/05 10:00\n"
        "junk@example.com,yesterday\n"
        "first@example.com,0001-01-01 00:00\n"
        "last@example.com,9999-12-31T23:59:59-12:00\n"
        "future@example.com,2999-01-01\n"
        "tomorrow@example.com," + (timezone.now() + timedelta(days=1)).isoformat() + "\n"
    )
    before = timezone.now()
    hanji_import(write(content))
    after = timezone.now()
    created = {s.email: s.created_at for s in Subscriber.objects.all()}
    assert created["iso@example.com"].isoformat() == "2023-04-05T06:07:08+00:00"
    assert created["dots@example.com"].year == 2023
    assert created["slash@example.com"].year == 2023
    # Unreadable dates and dates in the future (a typo) become the time of the import.
    for email in ("junk", "first", "last", "future", "tomorrow"):
        assert before <= created[f"{email}@example.com"] <= after, email


def test_progress_figures_are_readable_while_and_after_it_runs(
    publication, weekly, write, monkeypatch
):
    from hanji.subscribers import importer

    monkeypatch.setattr(importer, "BATCH", 3)
    path = write("email\n" + "".join(f"r{i}@example.com\n" for i in range(10)))
    seen = []
    run = create_import(publication, path)
    run_import(
        run.pk,
        progress=lambda r: seen.append(
            Import.objects.values_list("processed_rows", "total_rows").get(pk=r.pk)
        ),
    )
    assert seen[0] == (3, 10) and seen[-1] == (10, 10)
    run.refresh_from_db()
    assert (run.state, run.percent, run.created_count) == (ImportState.DONE, 100, 10)


def test_the_gil_switch_interval_is_short_only_while_imports_run(publication, weekly, write):
    import sys

    from hanji.subscribers import importer

    before = sys.getswitchinterval()
    during = []
    path = write("email\na@example.com\n")
    with importer._quick_gil_handoff():  # an import already running in another thread
        run_import(
            create_import(publication, path).pk,
            progress=lambda _run: during.append(sys.getswitchinterval()),
        )
        # The first import is still running: the interval stays short.
        assert sys.getswitchinterval() == pytest.approx(importer.SWITCH_INTERVAL)
    assert during and all(value == pytest.approx(importer.SWITCH_INTERVAL) for value in during)
    assert sys.getswitchinterval() == pytest.approx(before)


@pytest.mark.django_db(transaction=True)
def test_the_same_import_runs_as_a_background_task(publication, weekly, write):
    run = create_import(publication, write("email\nbg@example.com\n"))
    from django.db import transaction

    from hanji.subscribers.importer import enqueue_import

    with transaction.atomic():
        enqueue_import(run)
    run.refresh_from_db()
    assert run.state == ImportState.DONE
    assert emails() == ["bg@example.com"]


def test_a_column_can_be_mapped_by_hand(publication, weekly, write):
    hanji_import(
        write("Contact,Who\nx@example.com,X\n"), "--column", "email=Contact", "--column", "name=Who"
    )
    assert Subscriber.objects.get(email="x@example.com").name == "X"


def test_a_long_rejection_list_goes_to_a_report_file(publication, weekly, write, tmp_path):
    path = write("email\n" + "bad\n" * 30 + "ok@example.com\n")
    out = hanji_import(path)
    report = path + ".rejected.csv"
    assert report in out
    with open(report, encoding="utf-8-sig") as handle:
        assert len(handle.read().splitlines()) == 31
    os.remove(report)


def test_the_terminal_shows_a_progress_bar(publication, weekly, write, capsys):
    out = io.StringIO()
    call_command(
        "subscribers",
        "import",
        write("email\na@example.com\n"),
        "--publication",
        "weekly",
        verbosity=2,
        stdout=out,
    )
    assert "1 new" in out.getvalue()
    assert "1/1" in capsys.readouterr().out  # rich's bar: rows done / rows
