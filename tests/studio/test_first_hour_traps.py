"""The traps a newcomer met in the first hour (issue 12 §3), through the HTTP interface.

The browser half (where a person clicks) is tests/browser/test_first_hour_traps.py.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.test import Client

from hanji.core.demo import create_demo
from hanji.publications.models import Publication
from hanji.subscribers.models import Newsletter

pytestmark = pytest.mark.django_db


def sign_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


# --- 3. every publication has a newsletter --------------------------------------------------


def test_the_demo_publication_has_its_newsletter_from_the_start():
    demo = create_demo()
    assert Newsletter.objects.filter(publication=demo).count() == 1


def test_a_publication_made_on_the_command_line_has_a_newsletter():
    from django.core.management import call_command

    call_command("publication", "create", "fresh", "--name", "새 레터", verbosity=0)
    fresh = Publication.objects.get(slug="fresh")
    assert list(Newsletter.objects.filter(publication=fresh).values_list("name", flat=True)) == [
        "새 레터"
    ]


def test_the_recipient_count_with_nothing_chosen_answers_for_the_first_newsletter(
    client, publication, owner
):
    assert not Newsletter.objects.filter(publication=publication).exists()
    response = sign_in(client, owner).get(
        f"/studio/p/{publication.slug}/recipients/?newsletter=&segment="
    )
    assert response.status_code == 200 and response.json() == {"count": 0}
    assert Newsletter.objects.filter(publication=publication).count() == 1


def test_publications_made_before_the_rule_get_their_newsletter_when_migrating(publication):
    migration = importlib.import_module(
        "hanji.subscribers.migrations.0009_every_publication_has_a_newsletter"
    )
    migration.add_first_newsletters(apps, None)
    migration.add_first_newsletters(apps, None)  # safe to run twice
    assert list(Newsletter.objects.filter(publication=publication).values_list("slug", "name")) == [
        ("newsletter", publication.name)
    ]


# --- 6. the sign-up link only where sign-ups are open ----------------------------------------


def test_the_login_page_offers_sign_up_only_when_sign_ups_are_open(client, settings):
    settings.HANJI_ALLOW_SIGNUPS = False
    assert "/studio/signup/" not in client.get("/studio/login/").content.decode()
    assert client.get("/studio/signup/").status_code == 404
    settings.HANJI_ALLOW_SIGNUPS = True
    assert "/studio/signup/" in client.get("/studio/login/").content.decode()


# --- 8. the invitation's sign-in link comes back to the invitation ----------------------------


def test_the_invitation_page_signs_in_and_comes_back(client, publication, owner):
    from hanji.studio.actions import invite

    links = []
    invite(publication, "new@example.com", "editor", owner, lambda token: links.append(token))
    path = invitation_path(publication, links[0])
    html = client.get(path).content.decode()
    link = re.search(r'href="(/studio/login/\?next=[^"]*)"', html)
    assert link, html
    assert link.group(1) != "/studio/login/?next=" and path in unquote(link.group(1))


def invitation_path(publication, token: str) -> str:
    from django.urls import reverse

    return reverse("studio:invitation", args=[publication.pk, token])


def unquote(text: str) -> str:
    from urllib.parse import unquote as _unquote

    return _unquote(text.replace("&amp;", "&"))


# --- 4. the import's progress speaks the studio's language -----------------------------------


def test_the_import_progress_shows_its_state_as_a_word_of_the_studios_language(
    client, publication, owner, tmp_path
):
    from hanji.subscribers.models import Import

    run = Import.objects.create(publication=publication, path=str(tmp_path / "x.csv"))
    url = f"/studio/p/{publication.slug}/import/{run.pk}/progress/"
    signed_in = sign_in(client, owner)
    korean = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="ko").json()
    assert korean["state"] == "대기 중" and korean["duplicates"] == 0
    assert signed_in.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["state"] == "Queued"
