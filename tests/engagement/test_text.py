"""Comment text: normalized once, rendered as escaped text with links and line breaks."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanji.engagement.text import (
    MAX_LENGTH,
    MAX_MARKS,
    CommentTextError,
    find_links,
    normalize,
    render,
)
from tests.engagement.htmlcheck import assert_only_safe_markup, read
from tests.engagement.xss import CORPUS


@pytest.mark.parametrize("attack", CORPUS)
def test_the_xss_corpus_renders_as_the_same_text_and_no_markup(attack):
    text = normalize(attack)
    parsed = assert_only_safe_markup(render(text))
    assert parsed.text == text.strip()


def test_links_get_nofollow_ugc_and_line_breaks_stay():
    html = render(
        normalize("좋은 글이네요.\n참고: https://hanji.example/posts/한지/ 끝!\n\n둘째 문단")
    )
    assert html == (
        '<p>좋은 글이네요.<br>참고: <a href="https://hanji.example/posts/한지/" '
        'rel="nofollow ugc noopener">https://hanji.example/posts/한지/</a> 끝!</p><p>둘째 문단</p>'
    )


def test_a_word_glued_to_a_link_and_sentence_punctuation_stay_out_of_it():
    assert find_links("https://hanji.example에서 봤어요") == ["https://hanji.example"]
    assert find_links("(see https://example.com/a_(b)).") == ["https://example.com/a_(b)"]
    assert find_links("끝: https://example.com/x.") == ["https://example.com/x"]
    assert find_links("javascript:alert(1) ftp://x.example www.example.com") == []


def test_decomposed_hangul_is_composed():
    typed_on_a_mac = unicodedata.normalize("NFD", "한지")
    assert len(typed_on_a_mac) == 5
    assert normalize(typed_on_a_mac) == "한지"


def test_right_to_left_overrides_and_isolates_are_removed():
    assert normalize("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert normalize("a\u2066b\u2067c\u2068d\u2069e\u200ff") == "abcdef"


def test_zero_width_characters_are_removed_but_emoji_sequences_survive():
    assert normalize("관\u200b리\u2060자\ufeff") == "관리자"
    assert normalize("a\u200db") == "ab"
    family = "👨\u200d👩\u200d👧"
    assert normalize(family) == family
    heart_on_fire = "❤\ufe0f\u200d🔥"
    assert normalize(heart_on_fire) == heart_on_fire


def test_control_characters_and_unicode_tags_are_removed():
    assert normalize("a\x00b\x07c\x1bd\U000e0041e") == "abcde"
    assert normalize("tab\tand\r\nwindows\rline") == "tab and\nwindows\nline"


def test_a_combining_mark_flood_is_capped():
    zalgo = "Z" + "\u0301" * 500 + "a" + "\u0300\u0316" * 100
    result = normalize(zalgo)
    assert len(result) <= 2 + 2 * MAX_MARKS
    assert unicodedata.normalize("NFD", result).startswith("Z\u0301")
    longest_run = run = 0
    for char in result:
        run = run + 1 if unicodedata.combining(char) else 0
        longest_run = max(longest_run, run)
    assert longest_run == MAX_MARKS
    # Ordinary accents and Vietnamese stacked marks are kept.
    assert normalize("Tiếng Việt, café, naïve") == "Tiếng Việt, café, naïve"


def test_blank_lines_and_trailing_spaces_are_tidied():
    assert normalize("  첫 줄   \n\n\n\n\n둘째 줄  \n") == "첫 줄\n\n둘째 줄"


def test_empty_and_invisible_only_comments_are_refused():
    for empty in ["", "   \n\n ", "\u200b\u200b", "\u202e", "\u3164"]:
        with pytest.raises(CommentTextError, match="Write something"):
            normalize(empty)


def test_a_100_kb_comment_is_refused_with_its_size_in_the_message():
    with pytest.raises(CommentTextError) as error:
        normalize("가" * 100_000)
    assert "5,000" in str(error.value) and "100,000" in str(error.value)


def test_the_limit_counts_characters_as_readers_see_them():
    assert normalize("한" * MAX_LENGTH) == "한" * MAX_LENGTH
    with pytest.raises(CommentTextError):
        normalize("한" * (MAX_LENGTH + 1))
    # Invisible padding does not count against the limit.
    assert normalize("한" * MAX_LENGTH + "\u200b" * 100) == "한" * MAX_LENGTH


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_renders_to_safe_markup_showing_that_text(raw):
    try:
        text = normalize(raw)
    except CommentTextError:
        return
    parsed = assert_only_safe_markup(render(text))
    assert " ".join(parsed.text.split()) == " ".join(text.split())


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>\"'&=/:;() \njavascriptonerrorhttps.")), max_size=200)
)
def test_markup_like_noise_never_becomes_markup(raw):
    try:
        text = normalize(raw)
    except CommentTextError:
        return
    parsed = read(render(text))
    assert {tag for tag, _ in parsed.elements} <= {"p", "br", "a"}
