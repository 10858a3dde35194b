"""The index follows every change of a post, in the same transaction (SQLite and PostgreSQL)."""

import pytest
from django.db import connection, transaction

from hanji.posts.actions import publish_post, save_post, unpublish_post
from hanji.posts.models import Post
from hanji.posts.revisions import record_revision, restore_revision
from hanji.search.actions import rebuild_index
from hanji.search.models import Part, SearchEntry
from hanji.search.queries import search_posts

pytestmark = pytest.mark.django_db


def titles(publication, query, **kwargs):
    return [r.post.title for r in search_posts(publication, query, **kwargs)]


def index_rows() -> int:
    """Rows in the database's own index (FTS5 table or non-null tsvector)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM search_fts")
        else:
            cursor.execute("SELECT count(*) FROM search_searchentry WHERE vector IS NOT NULL")
        return cursor.fetchone()[0]


def test_a_published_post_is_found_by_its_title_body_tags_category_and_author(make_post, author):
    make_post(
        title="샘 알트만의 귀환",
        subtitle="이사회가 물러섰다",
        body="오픈AI 이사회는 **해고** 결정을 되돌렸다.",
        category="테크",
        tags=["GenAI"],
        authors=[author],
    )
    publication = author.publication
    for query in ["알트만", "이사회", "해고", "테크", "genai", "김한지", "귀환"]:
        assert titles(publication, query) == ["샘 알트만의 귀환"], query


def test_a_draft_is_found_only_in_the_studio_search(make_post, publication):
    make_post(title="초안 투자 메모", publish=False)
    assert titles(publication, "투자") == []
    everything = Post.objects.filter(publication=publication)
    assert titles(publication, "투자", visible=everything, full_text_of=everything) == [
        "초안 투자 메모"
    ]


def test_publish_and_unpublish_show_and_hide_the_post_at_once(make_post, publication):
    post = make_post(title="지배구조 이야기", publish=False)
    assert titles(publication, "지배") == []
    with transaction.atomic():
        publish_post(post)
        assert titles(publication, "지배") == ["지배구조 이야기"]
    with transaction.atomic():
        unpublish_post(post)
        assert titles(publication, "지배") == []


def test_an_edit_replaces_the_old_words_in_the_same_transaction(make_post, publication):
    post = make_post(title="오래된 제목", body="반도체 이야기")
    with transaction.atomic():
        save_post(publication, post=post, title="새 제목", body_markdown="배터리 이야기")
        assert titles(publication, "배터리") == ["새 제목"]
        assert titles(publication, "반도체") == []
        assert titles(publication, "오래된") == []


def test_an_edit_rolled_back_leaves_the_index_as_it_was(make_post, publication):
    post = make_post(title="원래 제목", body="반도체 이야기")
    with pytest.raises(RuntimeError), transaction.atomic():
        save_post(publication, post=post, title="바뀐 제목", body_markdown="배터리")
        raise RuntimeError
    assert titles(publication, "반도체") == ["원래 제목"]
    assert titles(publication, "배터리") == []


def test_a_deleted_post_leaves_the_index(make_post, publication):
    post = make_post(title="지울 글", body="삭제될 문장")
    kept = make_post(title="남는 글", body="삭제될 문장 아님")
    assert index_rows() == 2
    post.delete()
    assert titles(publication, "삭제") == ["남는 글"]
    assert SearchEntry.objects.filter(post_id=post.pk).count() == 0
    assert index_rows() == 1
    kept.publication.delete()
    assert index_rows() == 0


def test_restoring_a_revision_restores_its_words_in_the_index(make_post, publication):
    post = make_post(title="첫 판", body="고양이 이야기")
    revision = record_revision(post, "save", None)
    save_post(publication, post=post, title="둘째 판", body_markdown="강아지 이야기")
    assert titles(publication, "고양이") == []
    restore_revision(post, revision)
    assert titles(publication, "고양이") == ["첫 판"]


def test_rebuild_indexes_every_post_again(make_post, publication):
    make_post(title="하나", body="알트만")
    make_post(title="둘", body="알트만은", publish=False)
    SearchEntry.objects.all().delete()
    assert titles(publication, "알트만") == []
    assert rebuild_index() == 2
    assert titles(publication, "알트만") == ["하나"]
    assert index_rows() == 2


def test_a_paid_post_has_a_public_part_and_a_whole_text_entry(make_post, publication):
    post = make_post(
        title="유료 글",
        body="무료 부분 공개 문장\n\n{paywall}\n\n유료 부분 비밀 문장",
        visibility="paid",
    )
    parts = dict(SearchEntry.objects.filter(post=post).values_list("part", "text"))
    assert "비밀" not in parts[Part.PUBLIC] and "공개" in parts[Part.PUBLIC]
    assert "비밀" in parts[Part.FULL]


def test_a_scheduled_post_is_found_from_its_publish_time_without_a_reindex(make_post, publication):
    from datetime import timedelta

    from django.utils import timezone

    post = make_post(title="예약된 글", publish=False)
    publish_post(post, at=timezone.now() + timedelta(hours=1))
    assert titles(publication, "예약") == []
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    assert titles(publication, "예약") == ["예약된 글"]


def test_renaming_an_author_a_category_or_a_tag_reindexes_its_posts(make_post, author):
    from hanji.posts.models import Category, Tag

    make_post(title="이름 바꾸기", category="테크", tags=["인공지능"], authors=[author])
    publication = author.publication
    author.name = "박새이름"
    author.save()
    category = Category.objects.get(name="테크")
    category.name = "기술과학"
    category.save()
    tag = Tag.objects.get(name="인공지능")
    tag.name = "머신러닝"
    tag.save()
    for query in ["박새이름", "기술과학", "머신러닝"]:
        assert titles(publication, query) == ["이름 바꾸기"], query
    assert titles(publication, "김한지") == []


def test_deleting_a_category_or_a_tag_takes_its_name_out_of_its_posts_entries(make_post):
    from hanji.posts.models import Category, Tag

    post = make_post(title="지울 이름", category="가을특집", tags=["단풍놀이"])
    publication = post.publication
    assert titles(publication, "가을특집") == ["지울 이름"]
    Category.objects.get(name="가을특집").delete()
    Tag.objects.get(name="단풍놀이").delete()
    assert titles(publication, "가을특집") == [] and titles(publication, "단풍놀이") == []
    assert titles(publication, "지울") == ["지울 이름"]  # the post itself is still found


def test_a_very_common_query_ranks_only_its_newest_matches_title_matches_first(
    make_post, publication, monkeypatch
):
    from hanji.search.backends import postgres, sqlite

    monkeypatch.setattr(sqlite, "RANKED", 3)
    monkeypatch.setattr(postgres, "RANKED", 3)
    for n in range(6):
        make_post(title=f"공통 제목 {n}" if n == 4 else f"글 {n}", body="공통 낱말", slug=f"c{n}")
    found = titles(publication, "공통")
    assert found[0] == "공통 제목 4"  # the title match comes first
    assert sorted(found[1:]) == ["글 2", "글 3", "글 5"]  # then the newest others
