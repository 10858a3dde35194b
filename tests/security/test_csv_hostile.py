"""Hostile and broken CSV: an unclosed quote cannot swallow subscribers silently, unknown
encodings are a clear error, and every CSV Hanji hands out is safe to open in a spreadsheet."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from hanji.subscribers import csvread
from hanji.subscribers.actions.common import Refused
from hanji.subscribers.exporter import neutralize
from hanji.subscribers.importer import create_import, run_import
from hanji.subscribers.models import Import, ImportRejection, Newsletter, Subscriber
from hanji.subscribers.uploads import preview_upload

pytestmark = pytest.mark.django_db

UNCLOSED = (
    "email,name\n"
    "q1@example.com,Q1\n"
    'q2@example.com,"Q2\n'
    "q3@example.com,Q3\n"
    "q4@example.com,Q4\n"
    "q5@example.com,Q5\n"
)


@pytest.fixture
def weekly(publication) -> Newsletter:
    return Newsletter.objects.create(publication=publication, name="레터", slug="weekly")


def _file(tmp_path, content: bytes | str, name: str = "list.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _import(publication, path) -> Import:
    import_run = create_import(publication, str(path))
    run_import(import_run.pk)
    import_run.refresh_from_db()
    return import_run


def test_an_unclosed_quote_is_a_problem_in_the_preview(tmp_path):
    preview = preview_upload(_file(tmp_path, UNCLOSED))
    assert preview["problems"], "the preview must not say there are no problems"
    (line, reason, excerpt) = preview["problems"][-1]
    assert "line 3" in reason and "q3@example.com" in excerpt


def test_an_unclosed_quote_rejects_the_lines_it_swallowed_instead_of_losing_them(
    tmp_path, publication, weekly
):
    import_run = _import(publication, _file(tmp_path, UNCLOSED))
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["q1@example.com"]
    assert import_run.rejected_count == 1
    rejection = ImportRejection.objects.get(import_run=import_run)
    assert "q5@example.com" in rejection.excerpt  # the lost lines are in the report
    assert not Subscriber.objects.filter(name__contains="q3@example.com").exists()


def test_a_quote_closed_later_rejects_only_the_lines_between(tmp_path, publication, weekly):
    content = UNCLOSED.replace("q4@example.com,Q4\n", 'q4@example.com,Q4"\n')
    import_run = _import(publication, _file(tmp_path, content))
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "q1@example.com",
        "q5@example.com",
    ]
    assert import_run.rejected_count == 1


def test_a_name_that_honestly_spans_two_lines_is_still_imported(tmp_path, publication, weekly):
    content = 'email,name\nkim@example.com,"김\n한지"\nlee@example.com,이\n'
    _import(publication, _file(tmp_path, content))
    assert Subscriber.objects.count() == 2


LATIN = "email,name\n" + "".join(f"user{i}@example.com,Ren\xe9e M\xfcller\n" for i in range(20))


@pytest.mark.parametrize(
    "content",
    [
        LATIN.encode("iso-8859-1"),
        b"email,name\n" + "a@example.com,日本語の名前\n".encode("shift_jis") * 20,
    ],
    ids=["latin-1", "shift-jis"],
)
def test_a_file_in_another_encoding_is_a_clear_error_not_a_guess(tmp_path, publication, content):
    path = _file(tmp_path, content)
    with pytest.raises(csvread.UnreadableFile, match="neither UTF-8 nor CP949"):
        csvread.detect_encoding(content)
    with pytest.raises(Refused, match="CSV UTF-8"):
        preview_upload(path)


def test_an_import_of_such_a_file_fails_with_the_same_words(tmp_path, publication, weekly):
    path = _file(tmp_path, LATIN.encode("iso-8859-1"))
    import_run = _import(publication, path)
    assert import_run.state == "failed"
    assert "neither UTF-8 nor CP949" in import_run.error
    assert Subscriber.objects.count() == 0


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_recognised_and_refused_clearly(tmp_path, codec):
    content = "email,name\na@example.com,김한지\nb@example.com,Bo\n".encode(codec)
    assert csvread.detect_encoding(content) == "utf-16"
    with pytest.raises(Refused, match="UTF-16"):
        preview_upload(_file(tmp_path, content))


def test_utf16_with_a_bom_is_refused_clearly(tmp_path):
    content = codecs.BOM_UTF16_LE + "email\na@example.com\n".encode("utf-16-le")
    with pytest.raises(Refused, match="UTF-16"):
        preview_upload(_file(tmp_path, content))


def test_korean_files_in_utf8_and_cp949_still_read(tmp_path):
    for encoding in ("utf-8", "cp949"):
        content = "이메일,이름\na@example.com,김한지\n".encode(encoding)
        assert preview_upload(_file(tmp_path, content, f"{encoding}.csv"))["rows"] == [
            ["a@example.com", "김한지"]
        ]


FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    ";=1+1",
    " =1+1",
    "＝1+1",
    "=cmd|'/C notepad'!'A1'",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_neutralize_prefixes_every_formula_start(formula):
    assert neutralize(formula).startswith("'")


def _assert_no_formula(text: str) -> None:
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            assert not cell.lstrip(" ").startswith(csvread_formula_starts()), cell
    # Every cell is quoted: a ';' inside one cannot open a new cell in a ';' locale.
    for line in text.lstrip("\ufeff").split("\r\n"):
        if line:
            assert line.startswith('"'), line


def csvread_formula_starts() -> tuple[str, ...]:
    from hanji.subscribers.exporter import FORMULA_STARTS

    return FORMULA_STARTS


def test_the_rejected_lines_download_neutralises_formulas(
    client, owner, publication, weekly, tmp_path
):
    content = "email,name\n" + "".join(f'"{f}",x\n' for f in FORMULAS if "\r" not in f)
    import_run = _import(publication, _file(tmp_path, content))
    assert import_run.rejected_count >= 5
    client.force_login(owner)
    response = client.get(
        reverse("studio:import_rejections", args=[publication.slug, import_run.pk])
    )
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "HYPERLINK" in text
    _assert_no_formula(text)


def test_the_subscriber_export_neutralises_formulas_and_quotes_every_cell(
    client, owner, publication, weekly
):
    for number, formula in enumerate(FORMULAS):
        Subscriber.objects.create(
            publication=publication,
            email=f"f{number}@example.com",
            name=f"{formula};=2+2",
            created_at=timezone.now(),
        )
    client.force_login(owner)
    response = client.get(reverse("studio:subscriber_export", args=[publication.slug]))
    text = b"".join(response.streaming_content).decode("utf-8")
    _assert_no_formula(text)
    assert text.count("'") >= len(FORMULAS)


def test_the_command_line_rejection_report_neutralises_formulas(publication, weekly, tmp_path):
    source = _file(tmp_path, 'email,name\n"=HYPERLINK(""http://evil"")",x\n')
    report = tmp_path / "report.csv"
    call_command(
        "subscribers",
        "import",
        str(source),
        "--publication",
        "weekly",
        "--no-progress",
        "--report",
        str(report),
        stdout=io.StringIO(),
    )
    with open(report, encoding="utf-8-sig", newline="") as handle:
        _assert_no_formula(handle.read())
