"""The terms of the index and of queries (pure functions), and any text as a query."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanji.search.backends import postgres, sqlite
from hanji.search.queries import search_posts
from hanji.search.terms import damerau_levenshtein, index_terms, parse_query, strip_particle

TERM = re.compile(r"[^\W_]+\*?")


def test_a_hangul_word_gives_its_bigrams_and_itself():
    assert index_terms("샘알트만이") == ["샘알", "알트", "트만", "만이", "샘알트만이"]
    assert index_terms("칩 OpenAI의 café GPT-4o") == ["칩", "openai", "의", "cafe", "gpt", "4o"]


def test_particles_are_dropped_from_query_words_but_not_from_names():
    assert strip_particle("알트만은") == "알트만"
    assert strip_particle("알트만") == "알트만"
    assert strip_particle("샘알트만이") == "샘알트만"
    assert strip_particle("고양이") == "고양이"  # 이 only when three syllables remain
    assert [w.text for w in parse_query("OpenAI가 FTX의")] == ["openai", "ftx"]


def test_a_compound_without_a_space_also_matches_written_with_one():
    (word,) = parse_query("샘알트만")
    assert ["샘*", "알트", "트만"] in word.splits


def test_typo_distance_counts_a_swap_as_one_edit():
    assert damerau_levenshtein("opneai", "openai", 2) == 1
    assert damerau_levenshtein("amazn", "amazon", 1) == 1
    assert damerau_levenshtein("abc", "xyz", 1) == 2


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_becomes_quoted_letters_and_digits_only(text):
    words = parse_query(text)
    assert len(words) <= 8
    for word in words:
        for term in word.terms + word.alternatives + sum(word.splits, []):
            assert TERM.fullmatch(term), term
    for term in index_terms(text):
        assert TERM.fullmatch(term) and not term.endswith("*")
    sqlite.expression(words), postgres.expression(words)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_query_the_database_answers(text):
    from hanji.publications.models import Publication

    publication, _ = Publication.objects.get_or_create(slug="hypo", defaults={"name": "H"})
    assert isinstance(search_posts(publication, text), list)
