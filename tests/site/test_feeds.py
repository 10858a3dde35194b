import feedparser
import pytest
from django.utils.encoding import iri_to_uri

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/rss/", "/atom/"])
def test_feeds_carry_the_full_content_of_public_posts(client, make_post, url):
    public = make_post(
        title="공개 글", body='전체 **본문** 입니다.\n\n![그림](/media/a.jpg "캡션")'
    )
    make_post(title="유료 글", body="맛보기\n\n{paywall}\n\n숨은 본문", visibility="paid")
    make_post(title="초안", publish=False)
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "주간 실리콘밸리"
    titles = [entry.title for entry in feed.entries]
    assert titles == ["유료 글", "공개 글"]  # newest first, no drafts
    entry = feed.entries[1]
    assert entry.link == iri_to_uri(f"http://testserver/posts/{public.slug}/")
    assert entry.published_parsed is not None
    content = entry.content[0].value
    assert "<strong>본문</strong>" in content
    assert 'src="http://testserver/media/a.jpg"' in content  # absolute for feed readers
    assert "숨은 본문" not in response.content.decode()
    assert client.get(entry.link.removeprefix("http://testserver")).status_code == 200


def test_the_feed_of_a_prefixed_publication_links_under_its_prefix(
    client, publication, other_publication, make_post
):
    make_post(title="Prefixed", pub=other_publication)
    feed = feedparser.parse(client.get("/p/other/rss/").content)
    assert feed.entries[0].link.startswith("http://testserver/p/other/posts/")
