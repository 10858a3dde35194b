"""A social preview image for a post without a cover: its title on the publication's colour.

Drawn once per version of the post (the version is a hash of what the image shows, so an
edited title gets a new URL and link-preview caches refresh) and kept under the media dir.
Korean needs a CJK font: Noto Sans CJK from Debian's fonts-noto-cjk when present, else any
font Pillow has (Hangul may then show as boxes, but the image is still made).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from hanji.posts.models import Post

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
FONT_DIRS = [
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/opentype/noto-cjk"),
    Path("/usr/share/fonts/noto-cjk"),
    Path("/usr/share/fonts/truetype/noto"),
]
BOLD = ("NotoSansCJK-Bold.ttc", "NotoSansCJKkr-Bold.otf", "NotoSansKR-Bold.otf")
REGULAR = ("NotoSansCJK-Regular.ttc", "NotoSansCJKkr-Regular.otf", "NotoSansKR-Regular.otf")
# Index of the Korean face inside Noto's .ttc collections (JP, KR, SC, TC, HK, ...).
KOREAN_FACE = 1


def _find(names: tuple[str, ...]) -> Path | None:
    extra = os.environ.get("HANJI_OG_FONT_DIR")
    for directory in ([Path(extra)] if extra else []) + FONT_DIRS:
        for name in names:
            if (directory / name).is_file():
                return directory / name
    return None


@lru_cache(maxsize=16)
def _font(bold: bool, size: int):
    from PIL import ImageFont

    path = _find(BOLD if bold else REGULAR) or _find(REGULAR)
    if path is not None:
        try:
            index = KOREAN_FACE if path.suffix == ".ttc" else 0
            return ImageFont.truetype(str(path), size, index=index)
        except OSError:
            logger.warning("could not load the font %s", path)
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def has_cjk_font() -> bool:
    return _find(BOLD) is not None or _find(REGULAR) is not None


def version_of(post: Post) -> str:
    """Changes whenever something drawn on the image changes."""
    publication = post.publication
    raw = "|".join([post.title, post.subtitle, publication.name, publication.accent_color, "1"])
    return hashlib.blake2b(raw.encode(), digest_size=6).hexdigest()


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Break lines by measured width. Korean breaks between words first (keep-all), and
    inside a word only when the word alone is wider than the line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if draw.textlength(current + char, font=font) > width and current:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _rgb(colour: str) -> tuple[int, int, int]:
    try:
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    except (ValueError, IndexError):
        return (192, 57, 43)


def draw(title: str, subtitle: str, publication_name: str, accent: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), (253, 252, 249))
    canvas = ImageDraw.Draw(image)
    colour = _rgb(accent)
    canvas.rectangle([0, 0, 24, HEIGHT], fill=colour)
    margin = 90
    name_font = _font(True, 40)
    canvas.text((margin, 70), publication_name, font=name_font, fill=colour)
    title = unicodedata.normalize("NFC", title)
    size = 76 if len(title) <= 30 else 64
    title_font = _font(True, size)
    lines = _wrap(canvas, title, title_font, WIDTH - 2 * margin, 3)
    y = 170
    for line in lines:
        canvas.text((margin, y), line, font=title_font, fill=(31, 29, 26))
        y += int(size * 1.3)
    if subtitle and y < HEIGHT - 150:
        sub_font = _font(False, 36)
        for line in _wrap(canvas, subtitle, sub_font, WIDTH - 2 * margin, 2):
            canvas.text((margin, y + 20), line, font=sub_font, fill=(107, 102, 94))
            y += 50
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _path(post_id: int, version: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "og" / f"{post_id}-{version}.png"


def image_for(post_id: int, version: str) -> bytes | None:
    """The PNG for this post and version (drawn on first use); None for a stale version."""
    post = Post.objects.select_related("publication").filter(pk=post_id).first()
    if post is None or version_of(post) != version:
        return None
    path = _path(post_id, version)
    if path.is_file():
        return path.read_bytes()
    data = draw(post.title, post.subtitle, post.publication.name, post.publication.accent_color)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)  # whole file or none, whoever draws it at the same time
    for old in path.parent.glob(f"{post_id}-*.png"):
        if old != path:
            old.unlink(missing_ok=True)
    return data
