"""Front matter parsing over wide inputs: a PostSource or one FrontMatterError, nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hanji.core.frontmatter import FrontMatterError, PostSource, parse_post

yaml_ish = st.text(
    alphabet=st.sampled_from(list("titlesubvyfgdkx: -[]{}\"'#\n,|>&*!%@`~\t한글0123456789")),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(yaml_ish, st.text(max_size=40))
def test_any_front_matter_gives_a_post_or_one_located_error(front, body):
    try:
        source = parse_post(f"---\n{front}\n---\n{body}", "x.md")
    except FrontMatterError as error:
        text = str(error)
        assert text.startswith("x.md:") and "\n" not in text.strip()
        assert 1 <= error.line <= front.count("\n") + 3
    else:
        assert isinstance(source, PostSource) and source.title


def test_quoted_values_keep_their_text():
    source = parse_post("---\ntitle: \"123: 숫자로 시작\"\nslug: '2025'\n---\n본문\n")
    assert (source.title, source.slug, source.body_markdown) == ("123: 숫자로 시작", "2025", "본문")


def test_a_date_without_time_zone_is_in_the_publications_zone():
    source = parse_post("---\ntitle: t\ndate: 2025-03-03\n---\n", time_zone="America/New_York")
    assert source.published_at.isoformat() == "2025-03-03T00:00:00-05:00"


def test_windows_line_endings_and_a_byte_order_mark_are_fine(tmp_path):
    from hanji.core.frontmatter import read_post_file

    path = tmp_path / "w.md"
    path.write_bytes("\ufeff---\r\ntitle: 윈도\r\n---\r\n본문\r\n".encode())
    assert read_post_file(path).title == "윈도"
