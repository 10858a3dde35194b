"""The body schema: hostile input is sanitized, Markdown becomes the same schema."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hanji.posts.body import (
    PAYWALL,
    embed_html,
    make_excerpt,
    markdown_to_html,
    sanitize,
    split_at_paywall,
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+">',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example"><input name=a></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<div onclick="alert(1)">x</div>',
    '"><script>alert(1)</script>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<script>alert(1)</script>-->",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<video><source onerror="alert(1)"></video>',
    "<details open ontoggle=alert(1)>",
    '<figure class="embed" data-provider="evil"><iframe src="https://evil.example"></iframe></figure>',
]

DANGEROUS = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "ontoggle",
    "javascript:",
    "vbscript:",
    "data:",
    "<style",
    "style=",
    "<svg",
    "<math",
    "<object",
    "<embed",
    "<form",
    "<meta",
    "<base",
    "srcdoc",
    "evil.example",
    "<video",
    "<details",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_is_sanitized(hostile):
    clean = sanitize(hostile).lower()
    for needle in DANGEROUS:
        assert needle not in clean, (hostile, clean)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_inside_markdown_is_sanitized(hostile):
    clean = markdown_to_html(f"제목\n\n{hostile}\n\n끝").lower()
    for needle in DANGEROUS:
        assert needle not in clean, (hostile, clean)


def test_markdown_becomes_the_schema():
    html = markdown_to_html(
        "# 큰 제목\n\n본문 **굵게** _기울임_\n\n"
        '![고양이 사진](/media/cat.jpg "창가의 고양이")\n\n'
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n"
        "{paywall}\n\n유료 부분\n\n{subscribe}\n"
    )
    assert "<h2>큰 제목</h2>" in html  # the title is the page's only h1
    assert '<figure class="image"><img src="/media/cat.jpg" alt="고양이 사진"' in html
    assert "<figcaption>창가의 고양이</figcaption>" in html
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html
    assert PAYWALL in html
    assert 'data-hanji="subscribe"' in html


def test_allowed_embeds_survive_sanitizing_twice():
    embed = embed_html("https://youtu.be/dQw4w9WgXcQ")
    assert sanitize(sanitize(embed)) == sanitize(embed)
    assert "iframe" in sanitize(embed)


def test_x_posts_become_links_not_scripts():
    html = embed_html("https://x.com/someone/status/1234567890")
    assert 'data-provider="x"' in html and "<script" not in html


def test_the_paywall_splits_the_body():
    free, paid = split_at_paywall(markdown_to_html("무료\n\n{paywall}\n\n유료"))
    assert "무료" in free and "유료" not in free
    assert "유료" in paid


def test_the_excerpt_never_includes_the_paid_part():
    assert "비밀" not in make_excerpt(markdown_to_html("공개된 첫 문단\n\n{paywall}\n\n비밀"))


@given(st.text(max_size=300))
def test_sanitizing_is_stable_and_never_emits_script(text):
    once = sanitize(text)
    assert sanitize(once) == once
    assert "<script" not in once.lower()


@given(st.text(max_size=300))
def test_any_markdown_renders_without_script(text):
    assert "<script" not in markdown_to_html(text).lower()
