"""The settings screens write through actions (profile, business information, sending,
billing, newsletters) that the CLI and the tests call the same way: a bad value or a field
that is not a setting is refused with a clear error and nothing is saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from hanji.memberships.actions import turn_off_paid, update_billing
from hanji.memberships.models import MembershipSettings
from hanji.publications.actions import update_business, update_profile
from hanji.publications.models import Publication
from hanji.sending.actions import update_sending_settings
from hanji.sending.models import sending_settings
from hanji.subscribers.actions import save_newsletter
from hanji.subscribers.models import Newsletter

pytestmark = pytest.mark.django_db


def test_the_profile_changes_through_its_action_and_a_bad_colour_keeps_everything(publication):
    update_profile(publication, {"name": "새 이름", "accent_color": "#112233"})
    publication.refresh_from_db()
    assert (publication.name, publication.accent_color) == ("새 이름", "#112233")
    with pytest.raises(ValidationError) as refused:
        update_profile(publication, {"name": "또 다른 이름", "accent_color": "red"})
    assert "accent_color" in refused.value.message_dict
    assert Publication.objects.get(pk=publication.pk).name == "새 이름"


def test_a_field_that_is_not_a_setting_of_the_screen_is_refused(publication):
    with pytest.raises(ValidationError, match="slug"):
        update_profile(publication, {"slug": "stolen"})
    with pytest.raises(ValidationError, match="name"):
        update_business(publication, {"name": "not here"})
    assert Publication.objects.get(pk=publication.pk).slug == publication.slug


def test_the_studio_profile_screen_calls_the_same_action(client, owner, publication):
    client.force_login(owner)
    url = reverse("studio:settings", args=[publication.slug])
    form = client.get(url).context["forms"][0]
    data = {f"profile-{k}": v for k, v in form.initial.items() if v is not None and k != "logo"}
    data["profile-name"] = "스튜디오에서 바꾼 이름"
    assert client.post(url, data).status_code == 302
    assert Publication.objects.get(pk=publication.pk).name == "스튜디오에서 바꾼 이름"


def test_a_bad_transport_address_is_refused_before_it_is_kept(publication):
    with pytest.raises(ValidationError):
        update_sending_settings(publication.pk, {"transport_url": "ftp://nowhere"})
    assert sending_settings(publication.pk).transport_url == ""
    update_sending_settings(publication.pk, {"track_opens": False})
    assert sending_settings(publication.pk).track_opens is False


def test_billing_is_saved_and_paid_memberships_turned_off_by_actions(publication):
    update_billing(publication, {"provider": "stripe", "past_due_grace_days": 5})
    options = MembershipSettings.objects.get(publication=publication)
    assert (options.provider, options.past_due_grace_days) == ("stripe", 5)
    with pytest.raises(ValidationError):
        update_billing(publication, {"provider": "paypal"})
    assert MembershipSettings.objects.get(publication=publication).provider == "stripe"
    MembershipSettings.objects.filter(pk=options.pk).update(paid_enabled=True)
    turn_off_paid(publication)
    assert MembershipSettings.objects.get(pk=options.pk).paid_enabled is False


def test_a_newsletter_cannot_take_the_address_of_another(publication):
    first = save_newsletter(publication, None, {"name": "주간", "slug": "weekly"})
    second = save_newsletter(publication, None, {"name": "일간", "slug": "daily"})
    with pytest.raises(ValidationError):
        save_newsletter(publication, second, {"slug": "weekly"})
    assert Newsletter.objects.get(pk=second.pk).slug == "daily"
    save_newsletter(publication, first, {"description": "매주 월요일"})
    assert Newsletter.objects.get(pk=first.pk).description == "매주 월요일"
