import pytest

from hanji.posts.slugs import readable_slug


def test_korean_titles_give_readable_slugs():
    assert readable_slug("주간 실리콘밸리: 첫 번째 이야기") == "주간-실리콘밸리-첫-번째-이야기"


@pytest.mark.parametrize("title", ["", "!!!", "🎉🎉", "   "])
def test_titles_without_letters_give_short_ids_never_empty_slugs(title):
    slug = readable_slug(title)
    assert len(slug) == 8 and slug.isalnum()


@pytest.mark.django_db
def test_two_posts_with_one_title_get_distinct_slugs(make_post):
    first = make_post(title="같은 제목")
    second = make_post(title="같은 제목")
    assert first.slug == "같은-제목"
    assert second.slug == "같은-제목-2"


@pytest.mark.django_db
def test_editing_a_post_keeps_its_slug(make_post, publication):
    from hanji.posts.actions import save_post

    post = make_post(title="처음 제목")
    save_post(publication, post=post, title="바뀐 제목", body_markdown="본문")
    post.refresh_from_db()
    assert post.slug == "처음-제목"


@pytest.mark.django_db
def test_a_draft_slug_follows_its_title_until_the_post_is_published(publication):
    from hanji.posts.actions import publish_post, save_post

    draft = save_post(publication, title="Untitled", body_markdown="")
    assert draft.slug == "untitled"
    save_post(publication, post=draft, title="반도체 이야기", slug=draft.slug, body_markdown="본문")
    assert draft.slug == "반도체-이야기"
    publish_post(draft)
    save_post(publication, post=draft, title="새 제목", slug=draft.slug, body_markdown="본문")
    assert draft.slug == "반도체-이야기"  # published addresses never move


@pytest.mark.django_db
def test_a_slug_chosen_by_hand_stays(publication):
    from hanji.posts.actions import save_post

    draft = save_post(publication, title="제목", slug="my-address", body_markdown="")
    save_post(publication, post=draft, title="다른 제목", slug="my-address", body_markdown="")
    assert draft.slug == "my-address"
