"""Shared fixtures: publications, personas (owner, editor, author, stranger) and posts."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.utils import translation

from hanji.publications.models import Author, Publication, Role, TeamMember
from hanji.publications.queries import clear_lookup_cache

# aiosmtpd logs every connection at INFO from its own thread; after a test ends pytest has
# closed the stream that thread would write to, which prints "Logging error" noise.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages made outside a request (actions, tasks, commands) in English, as the tests
    check them; pages still speak their publication's language (the middleware says so)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    clear_lookup_cache()
    yield
    clear_lookup_cache()


@pytest.fixture
def publication(db) -> Publication:
    return Publication.objects.create(
        name="주간 실리콘밸리",
        slug="weekly",
        description="실리콘밸리 소식을 매주 전합니다",
        bio="실리콘밸리에서 일하는 엔지니어가 씁니다.",
    )


@pytest.fixture
def other_publication(db) -> Publication:
    return Publication.objects.create(name="Other Letter", slug="other", language="en")


@pytest.fixture
def author(publication) -> Author:
    return Author.objects.create(
        publication=publication, name="김한지", slug="hanji", bio="글 쓰는 사람"
    )


def _user_with_role(django_user_model, publication, username, role):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", "pw-very-secret-1"
    )
    if role:
        TeamMember.objects.create(publication=publication, user=user, role=role)
    return user


@pytest.fixture
def owner(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "owner", Role.OWNER)


@pytest.fixture
def editor(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "editor", Role.EDITOR)


@pytest.fixture
def author_user(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "writer", Role.AUTHOR)


@pytest.fixture
def stranger(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "stranger", None)


@pytest.fixture
def make_post(publication):
    from hanji.posts.actions import publish_post, save_post

    def make(title="첫 번째 글", body="안녕하세요 **세계**", pub=None, publish=True, **kwargs):
        post = save_post(pub or publication, title=title, body_markdown=body, **kwargs)
        return publish_post(post) if publish else post

    return make
