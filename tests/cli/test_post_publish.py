"""`hanji post publish FILE.md [--publication SLUG] [--send] [--draft]`."""

from __future__ import annotations

import sys
import types
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hanji.posts.models import Category, Post, Status, Tag

pytestmark = pytest.mark.django_db

GOOD = """\
---
title: 판교의 봄
subtitle: 벚꽃보다 먼저 온 것들
category: 판교 라이프
tags: [봄, 산책]
visibility: subscribers
slug: spring
---
## 첫 소식

- 하나
- 둘

> 인용문
"""


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "post.md"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def nothing_written() -> bool:
    return not (Post.objects.exists() or Category.objects.exists() or Tag.objects.exists())


def test_it_publishes_a_markdown_file_with_its_front_matter(hanji, publication, write):
    outcome = hanji("post", "publish", str(write(GOOD)), "--publication", publication.slug)
    assert outcome.code == 0, outcome.err
    post = Post.objects.get()
    assert (post.title, post.subtitle, post.slug, post.visibility) == (
        "판교의 봄",
        "벚꽃보다 먼저 온 것들",
        "spring",
        "subscribers",
    )
    assert post.category.name == "판교 라이프"
    assert sorted(post.tags.values_list("name", flat=True)) == ["봄", "산책"]
    assert post.status == Status.PUBLISHED and post.published_at <= timezone.now()
    assert "<h2>첫 소식</h2>" in post.body and "<blockquote>" in post.body
    assert outcome.out.strip() == (
        f"Published “판교의 봄”: http://testserver/p/{publication.slug}/posts/spring/"
    )


def test_the_publication_may_be_left_out_when_there_is_only_one(hanji, publication, write):
    assert hanji("post", "publish", str(write(GOOD))).code == 0
    assert Post.objects.get().publication == publication


def test_with_several_publications_it_asks_which(hanji, publication, other_publication, write):
    outcome = hanji("post", "publish", str(write(GOOD)))
    assert outcome.code == 1
    assert outcome.err_lines == [
        "error: say which publication with --publication SLUG (one of: other, weekly)"
    ]
    assert nothing_written()


def test_without_any_publication_it_says_how_to_make_one(hanji, db, write):
    outcome = hanji("post", "publish", str(write(GOOD)))
    assert outcome.code == 1
    assert "hanji publication create" in outcome.err_lines[0]


def test_an_unknown_publication_is_one_line(hanji, publication, write):
    outcome = hanji("post", "publish", str(write(GOOD)), "--publication", "nope")
    assert outcome.err_lines == ["error: no publication with the slug nope"]
    assert outcome.code == 1


def test_a_later_date_schedules_the_post_in_the_publications_time_zone(hanji, publication, write):
    path = write(GOOD.replace("slug: spring", "slug: spring\ndate: 2099-03-02 07:00"))
    outcome = hanji("post", "publish", str(path))
    assert outcome.code == 0, outcome.err
    post = Post.objects.get()
    assert post.status == Status.SCHEDULED
    assert post.published_at == datetime(2099, 3, 2, 7, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    assert "Scheduled “판교의 봄” for 2099-03-02 07:00" in outcome.out


def test_an_earlier_date_is_kept_as_the_publish_time(hanji, publication, write):
    path = write(
        GOOD.replace("slug: spring", "slug: spring\npublished_at: 2024-01-05T09:30:00+09:00")
    )
    assert hanji("post", "publish", str(path)).code == 0
    post = Post.objects.get()
    assert post.status == Status.PUBLISHED
    assert post.published_at == datetime(2024, 1, 5, 0, 30, tzinfo=ZoneInfo("UTC"))


def test_draft_saves_without_publishing(hanji, publication, write):
    outcome = hanji("post", "publish", str(write(GOOD)), "--draft")
    assert outcome.code == 0
    assert Post.objects.get().status == Status.DRAFT
    assert outcome.out.strip() == "Saved the draft “판교의 봄”."


def test_publishing_the_same_slug_again_updates_the_post(hanji, publication, write):
    hanji("post", "publish", str(write(GOOD)))
    outcome = hanji("post", "publish", str(write(GOOD.replace("판교의 봄", "판교의 여름"))))
    assert outcome.code == 0
    assert list(Post.objects.values_list("title", "slug")) == [("판교의 여름", "spring")]
    assert outcome.out.startswith("Updated “판교의 여름”")


def test_the_author_is_found_by_name_or_slug(hanji, publication, author, write):
    hanji(
        "post", "publish", str(write(GOOD.replace("slug: spring", "slug: spring\nauthor: 김한지")))
    )
    assert list(Post.objects.get().authors.all()) == [author]


def test_tags_may_be_a_comma_separated_line(hanji, publication, write):
    hanji("post", "publish", str(write(GOOD.replace("tags: [봄, 산책]", "tags: 봄, 산책, 봄"))))
    assert sorted(Post.objects.get().tags.values_list("name", flat=True)) == ["봄", "산책"]


BAD = [
    # (what is wrong, the file, the expected error after "error: FILE:")
    (
        "missing title",
        GOOD.replace("title: 판교의 봄\n", ""),
        "1: title: missing; every post needs a title",
    ),
    (
        "empty title",
        GOOD.replace("title: 판교의 봄", "title:"),
        "2: title: missing; every post needs a title",
    ),
    (
        "bad YAML",
        GOOD.replace("tags: [봄, 산책]", "tags: [봄, 산책"),
        "5: tags: not valid YAML (expected ',' or ']', but got ':')",
    ),
    (
        "unclosed quote",
        GOOD.replace("subtitle: 벚", 'subtitle: "벚'),
        "3: subtitle: not valid YAML",
    ),
    (
        "unknown visibility",
        GOOD.replace("visibility: subscribers", "visibility: vip"),
        "6: visibility: 'vip' is not one of public, subscribers, paid",
    ),
    (
        "bad date",
        GOOD.replace("slug: spring", "slug: spring\ndate: 2025-13-45"),
        "8: date: '2025-13-45' is not a date; write 2025-03-03 or 2025-03-03 07:00",
    ),
    (
        "words for a date",
        GOOD.replace("slug: spring", "slug: spring\ndate: next monday"),
        "8: date:",
    ),
    (
        "unknown field",
        GOOD.replace("slug: spring", "slug: spring\ntitel: oops"),
        "8: titel: unknown field",
    ),
    (
        "field twice",
        GOOD.replace("slug: spring", "slug: spring\ntitle: again"),
        "8: title: given twice",
    ),
    (
        "title as a list",
        GOOD.replace("title: 판교의 봄", "title: [a, b]"),
        "2: title: must be text",
    ),
    (
        "no front matter",
        "# 제목\n\n본문\n",
        "1: front matter: the file must start with a line '---'",
    ),
    (
        "no closing line",
        GOOD.replace("---\n## 첫", "## 첫"),
        "1: front matter: no closing line '---'",
    ),
    (
        "a list instead of fields",
        "---\n- a\n- b\n---\nbody\n",
        "2: front matter: must be 'field: value' lines",
    ),
    (
        "unknown author",
        GOOD.replace("slug: spring", "slug: spring\nauthor: 누구"),
        "8: author: '누구' is not",
    ),
    ("title too long", GOOD.replace("판교의 봄", "가" * 301, 1), "2: title: too long"),
]


@pytest.mark.parametrize(("problem", "text", "expected"), BAD, ids=[case[0] for case in BAD])
def test_a_malformed_file_is_one_line_naming_file_line_and_field_and_writes_nothing(
    hanji, publication, write, problem, text, expected
):
    path = write(text)
    outcome = hanji("post", "publish", str(path), "--publication", publication.slug)
    assert outcome.code == 1
    assert len(outcome.err_lines) == 1, outcome.err
    assert outcome.err_lines[0].startswith(f"error: {path}:{expected}"), outcome.err_lines[0]
    assert outcome.out == ""
    assert nothing_written()


def test_a_missing_file_is_one_line(hanji, publication, tmp_path):
    outcome = hanji("post", "publish", str(tmp_path / "nope.md"))
    assert outcome.code == 1
    assert outcome.err_lines == [f"error: {tmp_path / 'nope.md'}: No such file or directory"]


def test_a_file_that_is_not_utf8_is_one_line(hanji, publication, tmp_path):
    path = tmp_path / "euc-kr.md"
    path.write_bytes("---\ntitle: 한글\n---\n".encode("euc-kr"))
    outcome = hanji("post", "publish", str(path))
    assert outcome.err_lines == [f"error: {path}:2: file: not UTF-8 text"]
    assert nothing_written()


def test_send_says_so_in_one_line_when_sending_is_not_there_yet(
    hanji, publication, write, monkeypatch
):
    monkeypatch.setitem(sys.modules, "hanji.sending.actions", None)  # makes the import fail
    outcome = hanji("post", "publish", str(write(GOOD)), "--send")
    assert outcome.code == 1
    assert len(outcome.err_lines) == 1
    assert "start_send_for_post is missing); nothing was written" in outcome.err
    assert nothing_written()


def test_send_starts_a_send_for_the_published_post(hanji, publication, write, monkeypatch):
    started = []
    fake = types.ModuleType("hanji.sending.actions")
    fake.start_send_for_post = lambda post: started.append((post.pk, post.status))
    monkeypatch.setitem(sys.modules, "hanji.sending.actions", fake)
    outcome = hanji("post", "publish", str(write(GOOD)), "--send")
    assert outcome.code == 0, outcome.err
    assert started == [(Post.objects.get().pk, Status.PUBLISHED)]
    assert "Sending started" in outcome.out


def test_send_and_draft_do_not_go_together(hanji, publication, write):
    outcome = hanji("post", "publish", str(write(GOOD)), "--send", "--draft")
    assert outcome.code == 1
    assert outcome.err_lines == [
        "error: --send and --draft do not go together: a draft is not sent"
    ]
    assert nothing_written()


def test_an_unclosed_members_block_is_refused_with_its_line(hanji, publication, write):
    text = GOOD + "\n{members}\n채팅방 비밀번호 1234\n"
    outcome = hanji("post", "publish", str(write(text)), "--publication", publication.slug)
    assert outcome.code == 1 and "{members} is never closed" in outcome.err
    assert nothing_written()


def test_members_blocks_are_kept_for_members(hanji, publication, write):
    text = GOOD + "\n{members}\n채팅방 비밀번호 1234\n{/members}\n"
    assert hanji("post", "publish", str(write(text)), "--publication", publication.slug).code == 0
    assert '<div data-hanji="members">' in Post.objects.get().body
