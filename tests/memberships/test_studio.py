"""The creator's membership screens and the `hanji members` command."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from hanji.memberships.models import Member, MembershipSettings, MemberStatus, Payment


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def some_members(make_member, gold, silver):
    yearly = make_member("yearly@example.org", gold, period="year")
    Member.objects.filter(pk=yearly.pk).update(amount=90000)
    make_member("m1@example.org", gold)
    make_member("m2@example.org", silver)
    failing = make_member(
        "late@example.org", gold, status=MemberStatus.PAST_DUE, past_due_since=timezone.now()
    )
    Payment.objects.create(
        publication_id=gold.publication_id,
        member=failing,
        provider="stripe",
        provider_payment_id="in_x",
        amount=9000,
        currency="KRW",
        status="failed",
    )
    Payment.objects.create(
        publication_id=gold.publication_id,
        member=failing,
        provider="stripe",
        provider_payment_id="in_y",
        amount=9000,
        currency="KRW",
        status="paid",
    )


def test_the_overview_shows_mrr_arr_statuses_and_failed_payments(
    owner_client, publication, some_members
):
    html = owner_client.get(f"/studio/p/{publication.slug}/members/").content.decode()
    # MRR: 9,000 + 5,000 + 9,000 (past due still counts) + 90,000 / 12 = 30,500
    assert "₩30,500" in html and "₩366,000" in html
    assert "late@example.org" in html and "골드" in html


def test_the_member_list_pages_by_id_and_filters(
    owner_client, publication, some_members, gold, django_assert_max_num_queries
):
    url = f"/studio/p/{publication.slug}/members/list/"
    with django_assert_max_num_queries(12):
        html = owner_client.get(url, {"tier": gold.pk, "status": "active"}).content.decode()
    assert "m1@example.org" in html and "m2@example.org" not in html


def test_the_csv_export_has_every_member(owner_client, publication, some_members):
    response = owner_client.get(f"/studio/p/{publication.slug}/members/export.csv")
    body = b"".join(response.streaming_content).decode()
    assert body.count("@example.org") == 4 and "yearly@example.org" in body


def test_an_editor_does_not_see_the_members(client, editor, publication, some_members):
    client.force_login(editor)
    assert client.get(f"/studio/p/{publication.slug}/members/").status_code == 403


def test_billing_settings_never_show_a_saved_secret(owner_client, publication, with_stripe):
    html = owner_client.get(f"/studio/p/{publication.slug}/members/billing/").content.decode()
    assert with_stripe.stripe_secret_key not in html
    assert with_stripe.stripe_webhook_secret not in html
    assert "/membership/webhooks/stripe/" in html
    # Saving with the key fields empty keeps the keys.
    owner_client.post(
        f"/studio/p/{publication.slug}/members/billing/",
        {
            "section": "billing",
            "provider": "stripe",
            "past_due_grace_days": 3,
            "mail_order_office": "서울특별시 중구청",
            "hosting_provider": "한지 클라우드",
            "terms_version": "2026-12",
        },
    )
    saved = MembershipSettings.objects.get(publication=publication)
    assert (
        saved.past_due_grace_days == 3 and saved.stripe_secret_key == with_stripe.stripe_secret_key
    )


def test_a_grace_of_zero_days_closes_a_past_due_member_at_once(make_member, gold, with_stripe):
    from hanji.memberships.access import reader_access

    with_stripe.past_due_grace_days = 0
    with_stripe.save()
    member = make_member(
        "late@example.org",
        gold,
        status=MemberStatus.PAST_DUE,
        past_due_since=timezone.now() - timedelta(seconds=1),
    )
    assert not reader_access(member.subscriber).paid


def test_the_command_grants_lists_and_revokes(publication, gold, make_reader, capsys):
    make_reader("friend@example.org")
    call_command(
        "members",
        "grant",
        "friend@example.org",
        "--publication",
        publication.slug,
        "--tier",
        "gold",
    )
    assert Member.objects.get().status == MemberStatus.COMPED
    call_command("members", "list", "--publication", publication.slug)
    out = capsys.readouterr().out
    assert "friend@example.org,gold,comped" in out
    call_command("members", "revoke", "friend@example.org", "--publication", publication.slug)
    assert Member.objects.get().status == MemberStatus.ENDED


def test_the_command_names_what_is_wrong(publication, gold):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="does not subscribe"):
        call_command(
            "members",
            "grant",
            "nobody@example.org",
            "--publication",
            publication.slug,
            "--tier",
            "gold",
        )
    with pytest.raises(CommandError, match="No publication"):
        call_command("members", "list", "--publication", "nope")


def test_the_creator_makes_a_coupon_and_a_bad_one_is_explained(owner_client, publication):
    from hanji.memberships.models import Coupon

    url = f"/studio/p/{publication.slug}/members/coupons/"
    owner_client.post(url, {"code": "SPRING", "kind": "percent", "value": 20, "months": 3})
    assert Coupon.objects.get().code == "SPRING"
    bad = owner_client.post(url, {"code": "BAD", "kind": "percent", "value": 150})
    assert bad.status_code == 200 and Coupon.objects.count() == 1
    assert "SPRING" in owner_client.get(url).content.decode()


def test_the_provider_menu_says_what_no_provider_means(owner_client, publication):
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the wording checked is English
    html = owner_client.get(f"/studio/p/{publication.slug}/members/billing/").content.decode()
    assert '<option value="" selected>None yet: readers cannot pay</option>' in html
    assert "---------" not in html and "Select an option" not in html
