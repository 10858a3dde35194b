"""Property tests (hypothesis) for CSV import: whatever the rows, every line is either
imported or reported, nothing is doubled, and a second run changes nothing."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hanji.publications.models import Publication
from hanji.subscribers.addresses import InvalidEmail, normalize_email
from hanji.subscribers.importer import create_import, run_import
from hanji.subscribers.models import ImportRejection, Newsletter, Subscriber

pytestmark = pytest.mark.django_db

_counter = itertools.count()

addresses = st.one_of(
    st.from_regex(r"\A[a-zA-Z0-9._+-]{1,12}@(example|test|메일)\.(com|kr)\Z"),
    st.sampled_from(["dup@example.com", "DUP@example.com", "dup@EXAMPLE.com", " dup@example.com "]),
    st.text(max_size=30),  # mostly not an address at all
    st.just("\x00"),  # a NUL, which PostgreSQL cannot store in a report
)
names = st.text(max_size=20)
tags = st.one_of(
    st.lists(st.from_regex(r"\A[a-z가-힣]{1,6}\Z"), max_size=3).map(", ".join),
    st.text(max_size=12),  # anything at all, control characters included
)
rows = st.lists(st.tuples(addresses, names, tags), max_size=25)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp949"])


def valid(raw: str) -> str | None:
    try:
        return normalize_email(raw)
    except InvalidEmail:
        return None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows, encoding=encodings)
def test_every_line_is_imported_or_reported_and_a_second_run_changes_nothing(
    tmp_path, rows, encoding
):
    publication = Publication.objects.create(name="P", slug=f"prop-{next(_counter)}")
    newsletter = Newsletter.objects.create(publication=publication, name="N", slug="n")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "name", "tags"])
    writer.writerows(rows)
    text = buffer.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")  # not every character exists in CP949
    path = tmp_path / f"{publication.slug}.csv"
    path.write_bytes(data)

    run = run_import(create_import(publication, str(path), newsletters=[newsletter]).pk)
    assert run.state == "done", run.error
    expected = {address for address in (valid(r[0]) for r in rows) if address}
    stored = set(Subscriber.objects.filter(publication=publication).values_list("email", flat=True))
    assert stored == expected
    # Every line with an unusable address is reported (one line per record here unless a
    # cell holds a line break, so compare counts of records, not line numbers).
    bad_records = sum(1 for r in rows if valid(r[0]) is None and any(c.strip() for c in r))
    assert ImportRejection.objects.filter(import_run=run).count() == bad_records
    assert run.created_count == len(expected)
    for name, tags in Subscriber.objects.filter(publication=publication).values_list(
        "name", "tags"
    ):
        assert "\n" not in name and "\r" not in name
        assert all(tag.isprintable() for tag in tags)

    again = run_import(create_import(publication, str(path), newsletters=[newsletter]).pk)
    assert (again.created_count, again.merged_count) == (0, 0)
    assert again.unchanged_count == len(expected)
