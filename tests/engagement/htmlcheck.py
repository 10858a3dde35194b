"""Read back rendered comment HTML: which elements and attributes it holds, and its text."""

from __future__ import annotations

from html.parser import HTMLParser


class CommentHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


def read(html: str) -> CommentHTML:
    parser = CommentHTML()
    parser.feed(html)
    parser.close()
    return parser


def assert_only_safe_markup(html: str) -> CommentHTML:
    """Only p, br and a; links only http(s), with rel nofollow ugc noopener; no other attribute."""
    parsed = read(html)
    for tag, attrs in parsed.elements:
        assert tag in {"p", "br", "a"}, (tag, html)
        if tag == "a":
            assert set(attrs) == {"href", "rel"}, (attrs, html)
            assert attrs["href"].startswith(("http://", "https://")), html
            assert attrs["rel"] == "nofollow ugc noopener", html
        else:
            assert not attrs, (tag, attrs, html)
    return parsed
