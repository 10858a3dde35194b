"""A publication cannot take over another's address: custom domains are validated,
normalised before the uniqueness check, and serve only after a DNS TXT record proves them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from hanji.publications import actions, domains
from hanji.publications.models import Domain, Publication, Role, TeamMember
from hanji.publications.queries import clear_lookup_cache
from tests.security.dnsd import running

pytestmark = pytest.mark.django_db

# In the suite HANJI_BASE_HOST is "testserver".
REFUSED_HOSTS = [
    "other.testserver",  # another publication's own address
    "weekly.other.testserver",
    "testserver",
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0x7f.1",
    "[::1]",
    "::1",
    "localhost",
    "db.localhost",
    "printer.local",
    "metadata.internal",
    "a b.example.com",
    "news.example.com\r\nX-Injected: 1",
    "<script>alert(1)</script>.com",
    '"><img src=x>.com',
    "https://news.example.com/",
    "news.example.com:8000",
    "user@news.example.com",
    "-bad.example.com",
    "bad-.example.com",
    "a" * 64 + ".example.com",
    ("a" * 60 + ".") * 5 + "com",
    "com",
    "",
    "   ",
    "*.example.com",
    "exa_mple.com",
]


@pytest.mark.parametrize("raw", REFUSED_HOSTS)
def test_a_host_that_is_not_a_public_dns_name_of_ones_own_is_refused(publication, raw):
    with pytest.raises(ValidationError):
        domains.clean_host(raw, publication)


@pytest.mark.parametrize(
    "raw,stored",
    [
        ("News.Example.COM", "news.example.com"),
        ("news.example.com.", "news.example.com"),
        ("  letter.example.org  ", "letter.example.org"),
        ("한지.example", "xn--9b6b95s.example"),
        ("뉴스.한국", "xn--vg1b002a.xn--3e0b707e"),
        ("ＮＥＷＳ.example.com", "news.example.com"),  # full-width letters (UTS 46)
        ("weekly.testserver", "weekly.testserver"),  # the publication's own subdomain
    ],
)
def test_a_valid_host_is_stored_as_lower_case_a_labels(publication, raw, stored):
    assert domains.clean_host(raw, publication) == stored


def _owner_client(client, django_user_model, publication, name):
    user = django_user_model.objects.create_user(name, f"{name}@example.com", "pw-very-secret-1")
    TeamMember.objects.create(publication=publication, user=user, role=Role.OWNER)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_an_owner_cannot_claim_another_publications_subdomain(
    client, django_user_model, publication, other_publication, make_post
):
    make_post(title="Their post", pub=other_publication)
    _owner_client(client, django_user_model, publication, "attacker")
    url = reverse("studio:domains", args=[publication.slug])
    response = client.post(url, {"action": "add", "host": "other.testserver"})
    assert response.status_code == 400
    assert "belong to the instance" in response.content.decode()
    assert not Domain.objects.exists()
    # Even a row forced in behind the form's back cannot shadow the slug subdomain.
    Domain.objects.create(
        publication=publication, host="other.testserver", verified_at=timezone.now()
    )
    clear_lookup_cache()
    page = client.get("/", HTTP_HOST="other.testserver").content.decode()
    assert "Their post" in page


def test_the_same_host_in_other_letters_is_a_form_error_not_a_500(
    client, django_user_model, publication, other_publication
):
    actions.add_domain(other_publication, "b-custom.example.test")
    _owner_client(client, django_user_model, publication, "attacker")
    url = reverse("studio:domains", args=[publication.slug])
    response = client.post(url, {"action": "add", "host": "B-CUSTOM.example.test"})
    assert response.status_code == 400
    assert "already in use" in response.content.decode()
    assert Domain.objects.get().publication == other_publication


def test_the_model_itself_normalises_so_the_unique_constraint_sees_one_form(publication):
    Domain.objects.create(publication=publication, host="Mixed.Example.TEST.")
    assert Domain.objects.get().host == "mixed.example.test"


def test_an_unproven_domain_serves_nothing_until_its_txt_record_appears(
    client, django_user_model, publication, make_post
):
    make_post(title="Weekly post")
    _owner_client(client, django_user_model, publication, "owner1")
    url = reverse("studio:domains", args=[publication.slug])
    assert client.post(url, {"action": "add", "host": "News.Example.COM"}).status_code == 302
    domain = Domain.objects.get()
    assert domain.host == "news.example.com" and domain.verified_at is None
    page = client.get(url).content.decode()
    assert "_hanji-verify.news.example.com" in page and domain.verify_token in page
    assert client.get("/", HTTP_HOST="news.example.com").status_code == 404

    with running() as dns_server, override_settings(HANJI_DNS_NAMESERVERS=[dns_server.address]):
        check = {"action": "verify", "domain": domain.pk}
        response = client.post(url, check, follow=True)
        assert "not there yet" in response.content.decode()
        assert client.get("/", HTTP_HOST="news.example.com").status_code == 404

        dns_server.txt["_hanji-verify.news.example.com"] = ["hanji-verify=someone-elses-token"]
        client.post(url, check)
        assert Domain.objects.get().verified_at is None

        dns_server.txt["_hanji-verify.news.example.com"].append(
            f"hanji-verify={domain.verify_token}"
        )
        response = client.post(url, check, follow=True)
        assert "is verified" in response.content.decode()
    assert Domain.objects.get().verified_at is not None
    assert "Weekly post" in client.get("/", HTTP_HOST="news.example.com").content.decode()


def test_the_periodic_job_verifies_pending_domains_and_leaves_unproven_ones(
    publication, other_publication
):
    mine = actions.add_domain(publication, "mine.example.com")
    theirs = actions.add_domain(other_publication, "theirs.example.com")
    with running() as dns_server, override_settings(HANJI_DNS_NAMESERVERS=[dns_server.address]):
        dns_server.txt["_hanji-verify.mine.example.com"] = [f"hanji-verify={mine.verify_token}"]
        # A record with the other domain's token proves nothing about this one.
        dns_server.txt["_hanji-verify.theirs.example.com"] = [f"hanji-verify={mine.verify_token}"]
        assert actions.check_pending_domains() == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.verified_at is not None and theirs.verified_at is None
    assert theirs.checked_at is not None


def test_a_dns_server_that_does_not_answer_leaves_the_domain_unproven(publication):
    domain = actions.add_domain(publication, "quiet.example.com")
    with override_settings(HANJI_DNS_NAMESERVERS=["127.0.0.1:9"]):
        assert actions.verify_domain(domain) is False


def test_the_own_subdomain_needs_no_proof_and_removing_a_domain_stops_it(publication):
    own = actions.add_domain(publication, "weekly.testserver")
    assert own.verified_at is not None
    other = actions.add_domain(publication, "gone.example.com")
    actions.remove_domain(publication, other.pk)
    assert list(Domain.objects.values_list("host", flat=True)) == ["weekly.testserver"]


def test_a_publication_cannot_remove_or_check_another_publications_domain(
    client, django_user_model, publication, other_publication
):
    theirs = actions.add_domain(other_publication, "theirs.example.com")
    _owner_client(client, django_user_model, publication, "attacker")
    url = reverse("studio:domains", args=[publication.slug])
    client.post(url, {"action": "remove", "domain": theirs.pk})
    assert client.post(url, {"action": "verify", "domain": theirs.pk}).status_code == 404
    assert client.post(url, {"action": "remove", "domain": "9" * 20}).status_code == 400
    assert Domain.objects.filter(pk=theirs.pk).exists()
    assert Publication.objects.count() == 2
