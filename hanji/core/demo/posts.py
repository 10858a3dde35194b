"""The demo publication's posts, written for Hanji.

Each letter is a Markdown file with front matter under `letters/` (the same format that
`hanji post publish` reads), named `NN-slug.md`, newest first: 01 is last Monday's letter.
`{image:NAME}` in a body is replaced by the URL of the picture NAME drawn at demo time; the
art of each post (cover colours and motif, alt text, caption, pictures) and its counts are
below, by slug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hanji.core.frontmatter import PostSource, read_post_file

LETTERS = Path(__file__).parent / "letters"

CATEGORIES = [
    ("테크 트렌드", "AI, 플랫폼, 새로 나온 기술을 과장 없이 읽습니다."),
    ("스타트업", "투자, 채용, 가격, 창업자들의 이야기."),
    ("개발", "현업 개발자가 바로 써먹을 수 있는 이야기."),
    ("판교 라이프", "판교에서 일하고 먹고 쉬는 사람들의 이야기."),
]

Palette = tuple[str, str, str]


@dataclass(frozen=True)
class Art:
    palette: Palette
    motif: str
    cover_alt: str
    views: int
    likes: int
    caption: str = ""
    images: dict[str, tuple[Palette, str]] = field(default_factory=dict)  # name: (palette, motif)


# fmt: off
ART = {
    "hundredth": Art(('#33415c', '#f4a259', '#fdf0d5'), "rings", "남색에서 주황색으로 번지는 배경에 동심원이 퍼져 나가는 그림", views=3100, likes=41),
    "saas-pricing": Art(('#1b4332', '#95d5b2', '#d8f3dc'), "blocks", "초록색 배경 위에 높이가 다른 막대들이 서 있는 그림", views=5400, likes=64),
    "first-video": Art(('#7b2cbf', '#ff758f', '#ffe5ec'), "waves", "보라색과 분홍색 배경에 물결 모양 선이 겹쳐 흐르는 그림", views=11500, likes=176),
    "lunch-map": Art(('#e76f51', '#f4d35e', '#264653'), "circles", "주황색과 노란색 배경에 크고 작은 원이 흩어져 있는 그림", views=7200, likes=97, images={'lunch-map': (('#8ecae6', '#bde0fe', '#e63946'), 'map')}),
    "python-habits": Art(('#0b132b', '#3a506b', '#5bc0be'), "grid", "짙은 남색 배경 위에 점들이 바둑판처럼 놓인 그림", views=9300, likes=148),
    "series-a": Art(('#003049', '#669bbc', '#fdf0d5'), "mountains", "파란 하늘 아래 겹겹이 이어지는 산등성이 그림", views=8700, likes=133, caption="오르막은 길고, 정상은 다음 오르막의 시작입니다."),
    "agents": Art(('#14213d', '#2a9d8f', '#e9c46a'), "circles", "남색과 청록색 배경 위에 반투명한 원들이 겹쳐 있는 그림", views=14800, likes=212),
}
# fmt: on


def demo_posts() -> list[tuple[PostSource, Art]]:
    """Every demo letter with its art, newest first."""
    letters = [read_post_file(path) for path in sorted(LETTERS.glob("*.md"))]
    return [(letter, ART[letter.slug]) for letter in letters]
