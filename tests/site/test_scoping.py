import pytest


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
