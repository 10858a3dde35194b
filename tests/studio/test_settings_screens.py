"""Settings: a screen of its own for each part, one save each, errors under their fields with
nothing typed lost, and a settings navigation on every one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from hanji.engagement.models import EngagementSettings
from hanji.sending.models import SendingSettings

SCREENS = [
    "studio:settings",
    "studio:settings_business",
    "studio:settings_engagement",
    "studio:newsletters",
    "studio:settings_sending",
    "studio:domains",
    "studio:team",
    "memberships_studio:billing",
    "studio:danger",
]


@pytest.mark.parametrize("name", SCREENS)
def test_each_settings_screen_has_the_settings_nav_and_at_most_one_primary_button(
    client, owner, newsletter, name
):
    client.force_login(owner)
    page = client.get(reverse(name, args=["weekly"])).content.decode()
    nav = page[page.index('class="settings-nav"') :]
    for other in SCREENS:
        assert reverse(other, args=["weekly"]) in nav
    assert nav.count('aria-current="page"') == 1
    assert len(re.findall(r'class="[^"]*\bprimary\b', page)) <= 1


def test_profile_saves_with_one_button(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:settings", args=["weekly"]),
        {
            "profile-name": "주간 종이",
            "profile-description": "종이 이야기",
            "profile-language": "ko",
            "profile-time_zone": "Asia/Seoul",
            "profile-accent_color": "#224488",
        },
    )
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.name == "주간 종이" and publication.accent_color == "#224488"
    assert "Saved." in client.get(response["Location"]).content.decode()


def test_a_bad_colour_is_named_under_its_field_and_the_rest_is_kept(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:settings", args=["weekly"]),
        {
            "profile-name": "새 이름은 남아요",
            "profile-language": "ko",
            "profile-time_zone": "Asia/Seoul",
            "profile-accent_color": "red",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="새 이름은 남아요"' in page
    field = page[page.index('for="id_profile-accent_color"') :]
    assert field.index("A colour like #c0392b.") < field.index("</div>")  # under the field
    assert 'aria-invalid="true"' in field[: field.index("</div>")]
    publication.refresh_from_db()
    assert publication.name == "주간 실리콘밸리"


def test_comments_and_tracking_save_together(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:settings_engagement", args=["weekly"]),
        {"comments-who_may_comment": "members", "comments-count_views": "on"},
    )
    assert response.status_code == 302
    engagement = EngagementSettings.objects.get(publication=publication)
    sending = SendingSettings.objects.get(publication=publication)
    assert engagement.who_may_comment == "members" and not engagement.anonymous_likes
    assert not sending.track_opens and not sending.track_clicks


def test_nothing_is_saved_when_one_form_of_a_screen_is_wrong(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:settings_engagement", args=["weekly"]),
        {"comments-who_may_comment": "everyone-at-all", "tracking-track_opens": ""},
    )
    assert response.status_code == 400
    assert SendingSettings.objects.get_or_create(publication=publication)[0].track_opens


def test_sending_keeps_the_transport_and_the_night_hold(client, owner, publication):
    client.force_login(owner)
    url = reverse("studio:settings_sending", args=["weekly"])
    response = client.post(url, {"transport-transport_url": "", "transport-night_hold": "on"})
    assert response.status_code == 302
    assert SendingSettings.objects.get(publication=publication).night_hold
    bad = client.post(url, {"transport-transport_url": "gopher://mail.example.com"})
    assert bad.status_code == 400 and "gopher://mail.example.com" in bad.content.decode()


def test_legal_pages_are_saved_and_previewed_as_readers_see_them(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:settings_business", args=["weekly"]),
        {"business-company_name": "주식회사 한지", "legal-terms": "# 이용약관\n\n**제1조** 목적"},
    )
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.company_name == "주식회사 한지" and publication.terms.startswith(
        "# 이용약관"
    )
    page = client.get(reverse("studio:settings_business", args=["weekly"])).content.decode()
    assert 'data-markdown-url="/studio/p/weekly/editor/markdown/"' in page
    assert 'data-preview-for="id_legal-terms"' in page
    preview = client.post(
        reverse("studio:markdown", args=["weekly"]), {"text": "**제1조** 목적"}
    ).json()
    assert "<strong>제1조</strong>" in preview["html"]


def test_the_billing_screen_is_the_memberships_payment_settings(client, owner):
    client.force_login(owner)
    page = client.get(reverse("memberships_studio:billing", args=["weekly"])).content.decode()
    assert 'name="section" value="billing"' in page
