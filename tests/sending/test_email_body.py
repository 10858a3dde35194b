"""The post body as email HTML: video embeds as linked thumbnails or cards, pictures with their
sizes written out. The HTML is parsed, not searched as text."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

from hanji.posts.body import markdown_to_html, sanitize
from hanji.sending.emailbody import BodyRenderer

VIDEO = "76979871"
THUMB = "https://i.vimeocdn.com/video/452001751-8216e8c3f1d8c3e1a2a6c0a1c2c0a9b4-d_1280"


class OEmbed:
    """Vimeo's /api/oembed.json on 127.0.0.1, answering with its documented fields."""

    def __init__(self, status: int = 200):
        self.asked: list[dict] = []
        oembed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                oembed.asked.append(parse_qs(urlsplit(self.path).query))
                body = json.dumps({
                    "type": "video", "version": "1.0", "provider_name": "Vimeo",
                    "provider_url": "https://vimeo.com/", "title": "서울의 밤 <타임랩스>",
                    "author_name": "김한지", "html": "<iframe></iframe>", "width": 1280,
                    "height": 720, "duration": 62, "video_id": int(VIDEO),
                    "thumbnail_url": THUMB, "thumbnail_width": 1280, "thumbnail_height": 720,
                }).encode() if status == 200 else b'{"error": "not found"}'  # fmt: skip
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/oembed.json"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def vimeo(settings):
    def start(status: int = 200) -> OEmbed:
        server = OEmbed(status)
        settings.HANJI_SEND_VIMEO_OEMBED_URL = server.url
        settings.HANJI_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        started.append(server)
        return server

    started: list[OEmbed] = []
    yield start
    for server in started:
        server.close()


def render(markdown: str = "", body_html: str = "") -> lxml.html.HtmlElement:
    body = body_html or markdown_to_html(markdown)
    email_html = BodyRenderer("https://weekly.example.com").render(sanitize(body)).html
    return lxml.html.fragment_fromstring(email_html, create_parent="div")


def test_a_vimeo_embed_is_a_linked_thumbnail_when_vimeo_knows_one(vimeo):
    oembed = vimeo()
    root = render(f"https://vimeo.com/{VIDEO}\n")
    (link,) = root.xpath("//a[img]")
    assert link.get("href") == f"https://vimeo.com/{VIDEO}"
    (img,) = link.xpath("img")
    assert img.get("src") == THUMB and img.get("alt") == "서울의 밤 <타임랩스>"
    assert (img.get("width"), img.get("height")) == ("600", "338")  # 1280×720 at 600 wide
    caption = root.xpath("//td[@class='caption']")[0].text_content()
    assert caption == "▶ 서울의 밤 <타임랩스>"
    assert oembed.asked[0]["url"] == [f"https://vimeo.com/{VIDEO}"]
    # Asked once: the next render (another send, a preview) uses what Vimeo said.
    render(f"https://vimeo.com/{VIDEO}\n")
    assert len(oembed.asked) == 1


def test_a_vimeo_embed_without_a_known_thumbnail_is_a_link_card(vimeo):
    oembed = vimeo(status=404)
    root = render(f"https://vimeo.com/{VIDEO}\n")
    (card,) = root.xpath("//table[contains(@class, 'card')]")
    assert not card.xpath(".//img")
    hrefs = {a.get("href") for a in card.xpath(".//a")}
    assert hrefs == {f"https://vimeo.com/{VIDEO}"}
    assert card.xpath(".//td[@class='video-play']/a")[0].text == "▶"
    assert card.xpath(".//div[@class='bookmark-url']")[0].text == f"https://vimeo.com/{VIDEO}"
    assert len(oembed.asked) == 1


def test_no_vimeo_lookup_when_the_operator_turned_it_off(vimeo, settings):
    oembed = vimeo()
    render("https://vimeo.com/1001\n")
    assert len(oembed.asked) == 1  # the server would see a lookup
    settings.HANJI_SEND_VIMEO_OEMBED_URL = ""
    root = render(f"https://vimeo.com/{VIDEO}\n")
    assert len(oembed.asked) == 1  # none was made
    (card,) = root.xpath("//table[contains(@class, 'card')]")
    assert not card.xpath(".//img")  # no thumbnail from anywhere
    assert card.xpath(".//a/@href")[0].endswith(VIDEO)


def test_a_youtube_embed_is_a_linked_thumbnail_with_its_size():
    root = render("https://www.youtube.com/watch?v=dQw4w9WgXcQ\n")
    (img,) = root.xpath("//a[@href='https://www.youtube.com/watch?v=dQw4w9WgXcQ']/img")
    assert img.get("src") == "https://img.youtube.com/vi/dQw4w9WgXcQ/hqdefault.jpg"
    assert (img.get("width"), img.get("height")) == ("600", "450")


def sizes(root) -> dict[str, tuple[str | None, str | None]]:
    return {img.get("src"): (img.get("width"), img.get("height")) for img in root.iter("img")}


def test_remote_pictures_get_the_width_the_body_knows_at_most_600():
    root = render(body_html=(
        '<figure class="image"><img src="https://cdn.example.com/wide.jpg" alt="넓은 사진" '
        'width="1200" height="800"></figure>'
        '<figure class="image"><img src="https://cdn.example.com/small.png" alt="작은 사진" '
        'width="320" height="200"></figure>'
        '<figure class="image"><img src="https://cdn.example.com/unknown.jpg" alt="?"></figure>'
    ))  # fmt: skip
    assert sizes(root) == {
        "https://cdn.example.com/wide.jpg": ("600", "400"),
        "https://cdn.example.com/small.png": ("320", "200"),
        # The body does not know this one's size: none is made up.
        "https://cdn.example.com/unknown.jpg": (None, None),
    }
    assert all("max-width:100%" in img.get("style") for img in root.iter("img"))


def test_a_picture_in_several_widths_sends_the_one_sharp_at_twice_600():
    srcset = (
        "https://cdn.example.com/p-480.jpg 480w, https://cdn.example.com/p-960.jpg 960w, "
        "https://cdn.example.com/p-1440.jpg 1440w, https://cdn.example.com/p-1920.jpg 1920w"
    )
    root = render(body_html=(
        f'<figure class="image"><img src="https://cdn.example.com/p-960.jpg" alt="사진" '
        f'srcset="{srcset}" sizes="(max-width: 600px) 100vw, 600px"></figure>'
    ))  # fmt: skip
    assert sizes(root) == {"https://cdn.example.com/p-1440.jpg": ("600", None)}
    narrow = render(body_html=(
        '<figure class="image"><img src="https://cdn.example.com/n-480.jpg" alt="작은" '
        'srcset="https://cdn.example.com/n-240.jpg 240w, https://cdn.example.com/n-480.jpg 480w">'
        "</figure>"
    ))  # fmt: skip
    assert sizes(narrow) == {"https://cdn.example.com/n-480.jpg": ("480", None)}


def test_a_bookmark_cards_picture_is_written_120_wide():
    root = render(body_html=(
        '<figure class="bookmark"><a href="https://example.com/story">'
        '<span class="bookmark-title">이야기</span><span class="bookmark-description">설명</span>'
        '<span class="bookmark-url">example.com</span>'
        '<img class="bookmark-image" src="https://example.com/og.jpg" alt=""></a></figure>'
    ))  # fmt: skip
    (img,) = root.xpath("//td[@class='bookmark-thumb']/img")
    assert img.get("width") == "120" and img.get("src") == "https://example.com/og.jpg"


def test_a_sent_vimeo_thumbnail_links_through_click_tracking(
    vimeo, mail_to, make_post, make_subscribers, send_now
):
    vimeo()
    make_subscribers(1)
    send_now(make_post(body=f"영상입니다.\n\nhttps://vimeo.com/{VIDEO}\n"))
    message = mail_to.received[0].message
    html_part = message.get_body(("html",)).get_content()
    root = lxml.html.fromstring(html_part)
    (img,) = root.xpath(f"//img[@src='{THUMB}']")
    link = img.getparent()
    assert link.tag == "a" and "/e/c/" in link.get("href")
    assert img.get("width") == "600"
