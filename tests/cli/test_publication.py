"""`hanji publication create SLUG --name NAME [--language ko|en] [--owner EMAIL]`."""

from __future__ import annotations

import pytest

from hanji.publications.models import Publication, Role, TeamMember

pytestmark = pytest.mark.django_db


def test_it_creates_a_korean_publication_by_default(hanji):
    outcome = hanji("publication", "create", "weekly-tech", "--name", "주간 테크")
    assert outcome.code == 0, outcome.err
    publication = Publication.objects.get(slug="weekly-tech")
    assert (publication.name, publication.language, publication.time_zone) == (
        "주간 테크",
        "ko",
        "Asia/Seoul",
    )
    assert "Created the publication 주간 테크" in outcome.out
    assert "/p/weekly-tech/" in outcome.out


def test_it_creates_an_english_publication_with_an_owner(hanji, django_user_model):
    user = django_user_model.objects.create_user("kim@example.com", "kim@example.com", "x")
    outcome = hanji(
        "publication", "create", "letters", "--name", "Letters", "--language", "en",
        "--owner", "KIM@example.com",
    )  # fmt: skip
    assert outcome.code == 0, outcome.err
    publication = Publication.objects.get(slug="letters")
    assert publication.language == "en"
    assert TeamMember.objects.get(publication=publication, user=user).role == Role.OWNER


def test_a_taken_slug_is_one_line_and_changes_nothing(hanji, publication):
    outcome = hanji("publication", "create", publication.slug, "--name", "Another")
    assert outcome.code == 1
    assert outcome.err_lines == [
        f"error: a publication with the slug {publication.slug} already exists"
    ]
    assert Publication.objects.get(slug=publication.slug).name == publication.name
    assert Publication.objects.count() == 1


@pytest.mark.parametrize(
    "slug", ["Weekly", "weekly_tech", "weekly-", "a.b", "주간", "a" * 64, "a b"]
)
def test_a_bad_slug_is_one_line_and_creates_nothing(hanji, slug):
    outcome = hanji("publication", "create", slug, "--name", "Name")
    assert outcome.code == 1
    assert len(outcome.err_lines) == 1, outcome.err
    assert outcome.err_lines[0].startswith("error: slug:")
    assert not Publication.objects.exists()


def test_an_empty_name_is_refused(hanji):
    outcome = hanji("publication", "create", "empty", "--name", "  ")
    assert outcome.code == 1
    assert outcome.err_lines[0].startswith("error: name:")
    assert not Publication.objects.exists()


def test_an_unknown_owner_is_refused_before_anything_is_created(hanji):
    outcome = hanji("publication", "create", "x", "--name", "X", "--owner", "nobody@example.com")
    assert outcome.code == 1
    assert outcome.err_lines == ["error: no account with the email nobody@example.com"]
    assert not Publication.objects.exists()
