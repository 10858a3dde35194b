"""Every page carries one Content-Security-Policy; the public pages, the editor and the studio
work under it in Chromium with zero violations, and script that slipped into a page anyway
(past the sanitizer) is blocked."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from hanji.engagement import actions as engagement
from hanji.posts.body import EMBED_ORIGINS
from hanji.posts.models import Post
from hanji.subscribers.models import Subscriber

EXTERNAL = re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/])")
# Records every violation in every frame, from the first script on, before the page's own.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${location.pathname}`)
})
"""
BODY = """\
첫 문단입니다.

![공방](/media/csp/picture.png "공방의 사진")

![바깥 사진](https://images.example.org/photo.jpg)

https://www.youtube.com/watch?v=dQw4w9WgXcQ

https://vimeo.com/76979871

https://x.com/hanji/status/1234567890

{paywall}

유료 부분입니다.
"""


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# --- the header -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_kind_of_page_carries_the_policy(client, owner, make_post, publication):
    post = make_post(title="정책", body="본문")
    anonymous = [
        "/",
        f"/posts/{post.slug}/",
        "/archive/",
        "/subscribe/",
        "/no-such-page/",
        "/rss/",
        "/studio/login/",
    ]
    for path in anonymous:
        response = client.get(path)
        assert "Content-Security-Policy" in response, (path, response.status_code)
    client.force_login(owner)
    for name in ("studio:dashboard", "studio:posts", "studio:settings"):
        args = [] if name == "studio:dashboard" else [publication.slug]
        response = client.get(reverse(name, args=args))
        assert "Content-Security-Policy" in response, name


@pytest.mark.django_db
def test_the_policy_allows_no_plugin_no_base_no_foreign_script_and_no_framing(client):
    policy = _directives(client.get("/").headers["Content-Security-Policy"])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    # A page that uses no nonce names none: only the origin's own files run.
    assert policy["script-src"] == ["'self'"]
    assert set(EMBED_ORIGINS) <= set(policy["frame-src"])


@pytest.mark.django_db
def test_the_editors_inline_import_map_runs_by_a_fresh_nonce_each_time(
    client, owner, make_post, publication
):
    post = make_post(title="편집", body="본문", publish=False)
    client.force_login(owner)
    url = reverse("studio:post_edit", args=[publication.slug, post.pk])
    nonces = []
    for _ in range(2):
        response = client.get(url)
        script = _directives(response.headers["Content-Security-Policy"])["script-src"]
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "https:", "data:"} & set(script)
        (nonce,) = (s[len("'nonce-") : -1] for s in script if s.startswith("'nonce-"))
        assert f'<script type="importmap" nonce="{nonce}">' in response.content.decode()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_a_page_that_used_its_nonce_is_never_stored_in_the_page_cache(rf):
    from django.http import HttpResponse

    from hanji.core.csp import ContentSecurityPolicyMiddleware
    from hanji.core.pagecache import _cacheable_response

    request = rf.get("/")
    ContentSecurityPolicyMiddleware(lambda r: HttpResponse()).process_request(request)
    assert _cacheable_response(request, HttpResponse("x"))
    str(request._csp_nonce)  # a template wrote nonce="{{ csp_nonce }}"
    assert not _cacheable_response(request, HttpResponse("x"))


@pytest.mark.django_db
def test_the_studio_previews_may_be_framed_by_the_studio_only(
    client, owner, make_post, publication
):
    post = make_post(title="미리보기", body="본문")
    client.force_login(owner)
    web = client.get(reverse("studio:preview_web", args=[publication.slug, post.pk]))
    assert _directives(web.headers["Content-Security-Policy"])["frame-ancestors"] == ["'self'"]
    email = client.get(reverse("studio:preview_email", args=[publication.slug, post.pk]))
    assert "sandbox" in email.headers["Content-Security-Policy"]  # its own, stricter policy


# --- in Chromium ----------------------------------------------------------------------------------


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), (192, 57, 43)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def rich_post(publication, author, make_post, db):
    media = settings.MEDIA_ROOT / "csp"
    media.mkdir(parents=True, exist_ok=True)
    (media / "picture.png").write_bytes(_png())
    post = make_post(
        title="임베드와 사진", body=BODY, authors=[author], tags=["한지"], category="문화"
    )
    reader = Subscriber.objects.create(
        publication=publication,
        email="reader@example.com",
        name="독자",
        status="active",
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    engagement.post_comment(post, reader, "좋은 글 감사합니다 https://example.com")
    return post


@pytest.fixture
def watched(browser, live_server):
    """`open(path)` in a browser context that records CSP violations; `violations()` after."""
    contexts = []

    class Watch:
        def __init__(self, **options):
            self.context = browser.new_context(base_url=live_server.url, locale="ko-KR", **options)
            contexts.append(self.context)
            # No network off this machine: a foreign request the policy allows is aborted
            # (which is no violation); one it refuses never leaves the page (a violation).
            self.context.route(EXTERNAL, lambda route: route.abort())
            self.context.add_init_script(LISTEN)
            self.console: list[str] = []
            self.page = self.context.new_page()
            self.page.set_default_timeout(20_000)
            self.page.on("console", self._console)
            self.seen: list[str] = []

        def _console(self, message) -> None:
            if "Content Security Policy" in message.text:
                self.console.append(message.text)

        def open(self, path: str, status: int = 200):
            response = self.page.goto(path, wait_until="load")
            assert response is not None and response.status == status, (path, response.status)
            self.page.wait_for_timeout(300)  # late scripts (modules, iframes) report too
            self.collect()
            return self.page

        def collect(self) -> None:
            for frame in self.page.frames:
                try:
                    self.seen += frame.evaluate("() => window.__csp || []")
                except Exception:  # a cross-origin or aborted embed frame: nothing of ours
                    continue

        def violations(self) -> list[str]:
            self.collect()
            return sorted(set(self.seen)) + self.console

    yield Watch
    for context in contexts:
        context.close()


@pytest.mark.browser
def test_the_public_pages_raise_no_violation(watched, rich_post, live_server):
    visit = watched()
    for path in ("/", f"/posts/{rich_post.slug}/", "/archive/", "/subscribe/", "/tag/한지/"):
        page = visit.open(path)
    page = visit.open(f"/posts/{rich_post.slug}/")
    assert page.locator("figure.embed iframe").count() == 2
    assert page.locator(".comment-body").count() == 1
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)
    assert visit.violations() == []


@pytest.mark.browser
def test_the_editor_and_the_studio_raise_no_violation(watched, rich_post, owner, publication):
    visit = watched(viewport={"width": 1280, "height": 900})
    page = visit.open("/studio/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "pw-very-secret-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    slug, pk = publication.slug, rich_post.pk
    editor = visit.open(f"/studio/p/{slug}/posts/{pk}/")
    editor.wait_for_selector(".tiptap[contenteditable=true]")  # the import map ran
    editor.locator(".tiptap[contenteditable=true]").click()
    editor.keyboard.type("한 줄 더")
    for path in (
        "/studio/",
        f"/studio/p/{slug}/",
        f"/studio/p/{slug}/posts/",
        f"/studio/p/{slug}/posts/{pk}/preview/",
        f"/studio/p/{slug}/posts/{pk}/preview/?as=email",
        f"/studio/p/{slug}/subscribers/",
        f"/studio/p/{slug}/sends/",
        f"/studio/p/{slug}/settings/",
        f"/studio/p/{slug}/settings/team/",
        f"/studio/p/{slug}/outbox/",
        f"/studio/p/{slug}/import/",
        f"/engagement/studio/{slug}/comments/",
        "/studio/account/",
    ):
        visit.open(path)
    assert visit.violations() == []


@pytest.mark.browser
def test_script_that_slipped_past_the_sanitizer_is_blocked(watched, rich_post):
    # As if the sanitizer had a hole: the stored body is written straight to the database.
    Post.objects.filter(pk=rich_post.pk).update(
        body='<p>x</p><script>window.__ran = "inline"</script>'
        '<img src="/missing.png" onerror="window.__ran = \'handler\'">'
        '<a id="js" href="javascript:window.__ran=\'url\'">link</a>'
        '<script src="https://evil.example/x.js"></script>'
    )
    from hanji.core.pagecache import invalidate_publication

    invalidate_publication(rich_post.publication_id)
    visit = watched()
    page = visit.open(f"/posts/{rich_post.slug}/")
    page.click("#js")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__ran") is None
    directives = " ".join(visit.violations())
    assert directives.count("script-src") >= 3, directives
