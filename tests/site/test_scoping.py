import pytest
from django.utils.encoding import iri_to_uri


@pytest.mark.django_db
def test_it_serves_one_publication_at_the_root(client, publication, make_post):
    post = make_post(title="루트에서 보이는 글")
    page = client.get("/")
    assert page.status_code == 200
    assert "루트에서 보이는 글" in page.content.decode()
    assert client.get(f"/posts/{post.slug}/").status_code == 200


@pytest.mark.django_db
def test_nothing_of_one_publication_appears_on_the_others_host(
    client, publication, other_publication, make_post
):
    mine = make_post(title="Mine only")
    theirs = make_post(title="Theirs only", pub=other_publication)
    page = client.get("/", HTTP_HOST="other.testserver")
    assert "Theirs only" in page.content.decode()
    assert "Mine only" not in page.content.decode()
    assert client.get(f"/posts/{mine.slug}/", HTTP_HOST="other.testserver").status_code == 404
    assert client.get(f"/p/weekly/posts/{theirs.slug}/").status_code == 404
    assert client.get("/", HTTP_HOST="unknown.example").status_code == 404


@pytest.mark.django_db
def test_a_custom_domain_serves_its_publication_and_nothing_else(
    client, publication, other_publication, make_post
):
    from django.utils import timezone

    from hanji.publications.models import Domain

    Domain.objects.create(
        publication=other_publication, host="Letter.Example.COM", verified_at=timezone.now()
    )
    make_post(title="Theirs", pub=other_publication)
    mine = make_post(title="Mine")
    html = client.get("/", HTTP_HOST="letter.example.com").content.decode()
    assert "Theirs" in html and "Mine" not in html
    assert client.get(f"/posts/{mine.slug}/", HTTP_HOST="letter.example.com").status_code == 404
    assert client.get("/p/weekly/", HTTP_HOST="letter.example.com").status_code == 404


@pytest.mark.django_db
def test_an_instance_with_several_publications_serves_the_first_at_the_root(
    client, publication, other_publication
):
    # Issue 12 §3 trap 2: the root once listed the publications, which broke the first
    # one's root URLs the moment a second was made (tests/site/test_root_publication.py).
    html = client.get("/").content.decode()
    assert publication.name in html
    assert client.get("/p/weekly/").status_code == 200
    assert client.get("/p/other/").status_code == 200
    assert client.get("/p/nope/").status_code == 404
    assert client.get("/archive/").status_code == 200


@pytest.mark.django_db
def test_links_under_a_path_prefix_keep_the_prefix(
    client, publication, other_publication, make_post
):
    post = make_post(title="접두사 글")
    html = client.get("/p/weekly/").content.decode()
    assert f'href="{iri_to_uri(f"/p/weekly/posts/{post.slug}/")}"' in html
    assert 'href="/p/weekly/archive/"' in html
    assert 'href="/p/weekly/rss/"' in html
    # the prefix does not leak into the next request
    assert 'href="/p/other/rss/"' in client.get("/p/other/").content.decode()


@pytest.mark.django_db
def test_head_requests_answer_like_get(client, publication, make_post):
    make_post()
    assert client.head("/").status_code == 200
    assert client.head("/nope/").status_code == 404


@pytest.mark.django_db
def test_links_remembered_under_a_prefix_are_not_reused_on_the_publications_own_host(
    client, publication, other_publication, make_post
):
    post = make_post(title="두 주소")
    under_prefix = client.get("/p/weekly/").content.decode()
    on_own_host = client.get("/", HTTP_HOST="weekly.testserver").content.decode()
    assert 'href="/p/weekly/archive/"' in under_prefix
    assert 'href="/archive/"' in on_own_host and "/p/weekly/" not in on_own_host
    assert f'href="{iri_to_uri(f"/posts/{post.slug}/")}"' in on_own_host
