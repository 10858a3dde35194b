"""`hanji createadmin`: a superuser who signs in to the studio with their email."""

from __future__ import annotations

import pytest

from hanji.publications.models import Role, TeamMember

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase"


def test_it_creates_a_superuser_from_options(hanji, django_user_model, client):
    outcome = hanji(
        "createadmin", "--no-input", "--email", "boss@example.com", "--password", PASSWORD
    )
    assert outcome.code == 0, outcome.err
    user = django_user_model.objects.get()
    assert (user.username, user.email, user.is_superuser, user.is_staff) == (
        "boss@example.com",
        "boss@example.com",
        True,
        True,
    )
    assert outcome.out.strip() == (
        "Created the administrator boss@example.com, who can open every publication."
    )
    response = client.post("/studio/login/", {"username": "boss@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/studio/"


def test_with_a_publication_it_makes_that_publications_owner_only(
    hanji, publication, other_publication, client
):
    outcome = hanji(
        "createadmin", "--no-input", "--email", "boss@example.com", "--password", PASSWORD,
        "--publication", publication.slug,
    )  # fmt: skip
    assert outcome.code == 0
    member = TeamMember.objects.get(publication=publication)
    assert (member.user.email, member.role) == ("boss@example.com", Role.OWNER)
    assert (member.user.is_superuser, member.user.is_staff) == (False, False)
    assert outcome.out.strip() == (
        "Created boss@example.com, the owner of 주간 실리콘밸리 (not an administrator of the "
        "instance)."
    )
    client.post("/studio/login/", {"username": "boss@example.com", "password": PASSWORD})
    assert client.get(f"/studio/p/{publication.slug}/").status_code == 200
    assert client.get(f"/studio/p/{other_publication.slug}/").status_code in (403, 404)
    assert client.get("/admin/").status_code in (302, 403)


def test_the_password_may_come_from_the_environment(hanji, monkeypatch, django_user_model):
    monkeypatch.setenv("HANJI_ADMIN_PASSWORD", PASSWORD)
    assert hanji("createadmin", "--no-input", "--email", "env@example.com").code == 0
    assert django_user_model.objects.get().check_password(PASSWORD)


def test_it_asks_when_run_interactively(hanji, monkeypatch, django_user_model):
    answers = iter(["not-an-email", "asked@example.com"])
    passwords = iter(["short", "short", PASSWORD, "typo", PASSWORD, PASSWORD])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    outcome = hanji("createadmin")
    assert outcome.code == 0, outcome.err
    assert django_user_model.objects.get().check_password(PASSWORD)
    assert "not an email address: not-an-email" in outcome.err
    assert "The passwords differ" in outcome.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "boss@example.com", "--password", "1234"], "This password is too short."),
        (["--email", "not-an-email", "--password", PASSWORD], "not an email address: not-an-email"),
        (
            ["--email", "boss@example.com"],
            "give the password with --password or HANJI_ADMIN_PASSWORD",
        ),
        (["--password", PASSWORD], "give the email with --email"),
        (
            ["--email", "boss@example.com", "--password", PASSWORD, "--publication", "nope"],
            "no publication with the slug nope",
        ),
    ],
)
def test_a_problem_is_one_line_and_creates_no_account(hanji, django_user_model, args, message):
    outcome = hanji("createadmin", "--no-input", *args)
    assert outcome.code == 1
    assert len(outcome.err_lines) == 1, outcome.err
    assert message in outcome.err_lines[0]
    assert not django_user_model.objects.exists()


def test_an_email_that_has_an_account_is_refused(hanji, django_user_model):
    django_user_model.objects.create_user("taken@example.com", "taken@example.com", "x")
    outcome = hanji(
        "createadmin", "--no-input", "--email", "Taken@example.com", "--password", PASSWORD
    )
    assert outcome.err_lines == ["error: an account with Taken@example.com already exists"]
    assert django_user_model.objects.count() == 1
