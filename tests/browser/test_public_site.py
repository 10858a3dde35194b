"""A reader opens the home page and a post in Chromium: Korean text, forms, feed, no strangers.

Screenshots at desktop and phone width, light and dark, go to test-artifacts/browser/.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from hanji.publications.models import Publication

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
SCHEMES = ("light", "dark")

BODY = """\
한지는 닥나무 껍질로 만든 종이입니다. 천 년을 간다는 말이 있을 만큼 질기고, 빛을 부드럽게
걸러 줍니다. 이번 호에서는 전주의 작은 공방을 찾아가 종이가 만들어지는 과정을 따라가 봤습니다.

![물에 불린 닥나무 껍질을 고르는 손](/media/browser/hanji-workshop.png "전주의 한지 공방. 불린 닥나무 껍질에서 티를 골라내는 중이다.")

## 물질 한 번에 한 장

발을 물에 담갔다가 앞뒤로 흔들어 섬유를 고르게 펴는 일을 **물질**이라고 합니다. 숙련된
장인은 하루에 수백 장을 뜨지만, 한 장 한 장의 두께를 손의 감각으로 맞춥니다.

> 좋은 종이는 물이 정합니다. 겨울 물이 차고 맑을 때 뜬 종이가 가장 곱습니다.

- 닥나무 껍질 벗기기
- 잿물에 삶기
- 두드려 섬유 풀기
"""


def _png(width: int = 960, height: int = 540) -> bytes:
    """A small picture in the theme's paper tones (drawn here, so no file is fetched)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (236, 228, 212))
    draw = ImageDraw.Draw(image)
    for i in range(0, width, 24):
        draw.line([(i, 0), (i + height // 3, height)], fill=(214, 202, 180), width=3)
    draw.rectangle([width // 4, height // 4, width * 3 // 4, height * 3 // 4], fill=(192, 57, 43))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def korean_post(publication: Publication, author, make_post):
    media = settings.MEDIA_ROOT / "browser"
    media.mkdir(parents=True, exist_ok=True)
    (media / "hanji-workshop.png").write_bytes(_png())
    Publication.objects.filter(pk=publication.pk).update(
        company_name="주식회사 한지레터",
        representative="김한지",
        business_number="123-45-67890",
        contact_email="hello@example.com",
        terms="이용약관 본문",
        privacy="개인정보처리방침 본문",
    )
    make_post(
        title="지난주의 실리콘밸리",
        subtitle="짧은 소식 모음",
        body="이번 주에 있었던 일을 짧게 정리합니다.",
        category="테크",
        authors=[author],
    )
    return make_post(
        title="천 년을 가는 종이, 한지를 뜨는 사람들",
        subtitle="전주의 작은 공방에서 보낸 하루",
        body=BODY,
        category="문화",
        tags=["한지", "공예"],
        authors=[author],
    )


class Reader:
    """One browser page that remembers console errors and every request it made."""

    def __init__(self, browser, base_url: str, viewport: str, scheme: str):
        self.context = browser.new_context(
            base_url=base_url, color_scheme=scheme, locale="ko-KR", **VIEWPORTS[viewport]
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.errors.append(f"{response.status} {response.url}")
            ),
        )

    def open(self, path: str):
        response = self.page.goto(path, wait_until="networkidle")
        assert response is not None and response.status == 200, (path, response and response.status)
        return self.page

    def foreign_requests(self, base_url: str) -> list[str]:
        own = urlsplit(base_url).netloc
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != own
        ]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def reader(browser, live_server):
    readers: list[Reader] = []

    def make(viewport: str = "desktop", scheme: str = "light") -> Reader:
        readers.append(Reader(browser, live_server.url, viewport, scheme))
        return readers[-1]

    yield make
    for one in readers:
        one.close()


def _is_dark(css_color: str) -> bool:
    red, green, blue = (
        int(part) for part in css_color[css_color.index("(") + 1 : -1].split(",")[:3]
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 100


def _assert_discoverable(page) -> None:
    assert page.locator('form[role="search"] input[name="q"]').count() == 1
    assert page.locator('form input[type="email"]').count() >= 1
    feed = page.locator('head link[rel="alternate"][type="application/rss+xml"]')
    assert feed.count() == 1
    assert feed.get_attribute("href")


def test_a_reader_sees_the_home_page_in_korean_with_subscribe_search_and_feed(
    reader, korean_post, live_server
):
    visit = reader()
    page = visit.open("/")
    text = page.locator("body").inner_text()
    assert "주간 실리콘밸리" in text
    assert "실리콘밸리에서 일하는 엔지니어가 씁니다." in text
    assert "천 년을 가는 종이, 한지를 뜨는 사람들" in text
    assert "주식회사 한지레터" in text
    assert page.locator("html").get_attribute("lang") == "ko"
    _assert_discoverable(page)
    assert visit.errors == []
    assert visit.foreign_requests(live_server.url) == []


def test_a_reader_opens_a_post_with_a_captioned_image(reader, korean_post, live_server):
    visit = reader()
    page = visit.open(f"/posts/{korean_post.slug}/")
    assert page.locator("h1").inner_text() == "천 년을 가는 종이, 한지를 뜨는 사람들"
    assert "물질 한 번에 한 장" in page.locator(".post-body").inner_text()
    figure = page.locator("figure.image")
    figure.scroll_into_view_if_needed()
    image = figure.locator("img")
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 960
    assert "불린 닥나무 껍질" in figure.locator("figcaption").inner_text()
    _assert_discoverable(page)
    page.locator("#subscribe input[type=email]").fill("reader@example.com")
    assert visit.errors == []
    assert visit.foreign_requests(live_server.url) == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("scheme", SCHEMES)
def test_it_saves_screenshots_of_home_and_post(
    reader, korean_post, live_server, artifacts, viewport, scheme
):
    visit = reader(viewport, scheme)
    for name, path in (("home", "/"), ("post", f"/posts/{korean_post.slug}/")):
        page = visit.open(path)
        # Lazy images below the fold load only when scrolled to; load them all for the picture.
        page.evaluate(
            "() => Promise.all([...document.images].map(img => {"
            " img.loading = 'eager'; return img.decode().catch(() => null); }))"
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert _is_dark(background) == (scheme == "dark"), background
        target = artifacts / f"{name}-{viewport}-{scheme}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {viewport} screen"
    assert visit.errors == []
    assert visit.foreign_requests(live_server.url) == []
