"""`hanji search QUERY` and `hanji search --rebuild`."""

import json

import pytest

from hanji.search.models import SearchEntry

pytestmark = pytest.mark.django_db


def test_it_prints_the_matching_posts_with_the_match_marked(hanji, make_post):
    make_post(title="샘 알트만의 귀환", body="이사회가 알트만을 다시 불렀다.", slug="return")
    outcome = hanji("search", "알트만")
    assert outcome.code == 0, outcome.err
    assert "샘 [알트만]의 귀환" in outcome.out and "/return/" in outcome.out
    assert "이사회가 [알트만]을 다시 불렀다." in outcome.out


def test_drafts_are_searched_only_with_drafts(hanji, make_post):
    make_post(title="초안 배터리", publish=False)
    assert "Nothing found" in hanji("search", "배터리").out
    assert "초안 [배터리]" in hanji("search", "배터리", "--drafts").out


def test_json_lines_carry_the_post_and_a_plain_snippet(hanji, make_post):
    make_post(title="반도체 이야기", body="TSMC의 반도체 공장")
    (line,) = hanji("search", "tsmc", "--json").out.splitlines()
    row = json.loads(line)
    assert row["title"] == "반도체 이야기" and row["snippet"] == "[TSMC]의 반도체 공장"


def test_an_empty_query_is_one_line_and_exit_status_1(hanji, publication):
    outcome = hanji("search", " ")
    assert outcome.code == 1 and len(outcome.err_lines) == 1


def test_an_unknown_publication_is_one_line(hanji, publication):
    outcome = hanji("search", "x", "--publication", "nope")
    assert outcome.code == 1 and "nope" in outcome.err


def test_rebuild_indexes_every_post_again(hanji, make_post):
    make_post(title="하나")
    make_post(title="둘", publish=False)
    SearchEntry.objects.all().delete()
    outcome = hanji("search", "--rebuild")
    assert outcome.code == 0 and "2" in outcome.out
    assert SearchEntry.objects.count() == 2
