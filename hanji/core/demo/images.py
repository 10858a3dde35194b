"""Pictures for the demo, drawn with Pillow at demo time (no downloads, no text in them)."""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw

COVER_SIZE = (1200, 630)  # the size social previews use


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def _gradient(size: tuple[int, int], start: str, end: str, angle: float) -> Image.Image:
    """A smooth two-colour gradient at `angle` degrees."""
    mask = Image.linear_gradient("L").rotate(angle, expand=True, resample=Image.BICUBIC)
    side = max(size) * 2
    mask = mask.resize((side, side), Image.BICUBIC)
    left, top = (side - size[0]) // 2, (side - size[1]) // 2
    mask = mask.crop((left, top, left + size[0], top + size[1]))
    return Image.composite(
        Image.new("RGB", size, _hex(end)), Image.new("RGB", size, _hex(start)), mask
    )


def _rgba(colour: str, alpha: int) -> tuple[int, int, int, int]:
    return (*_hex(colour), alpha)


def _circles(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    for _ in range(14):
        r = rng.randint(size[1] // 14, size[1] // 3)
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_rgba(colour, rng.randint(30, 90)))


def _waves(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    for i in range(9):
        base = size[1] * (0.25 + i * 0.07)
        amplitude, phase = rng.uniform(18, 50), rng.uniform(0, math.pi * 2)
        points = [
            (x, base + amplitude * math.sin(x / size[0] * math.pi * 3 + phase))
            for x in range(0, size[0] + 20, 20)
        ]
        draw.line(points, fill=_rgba(colour, 70 + i * 15), width=6, joint="curve")


def _grid(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    step = 42
    for x in range(step // 2, size[0], step):
        for y in range(step // 2, size[1], step):
            big = rng.random() < 0.08
            r = 9 if big else 3
            draw.ellipse((x - r, y - r, x + r, y + r), fill=_rgba(colour, 230 if big else 90))


def _blocks(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    x = 40
    while x < size[0] - 60:
        width = rng.randint(50, 120)
        height = rng.randint(size[1] // 5, int(size[1] * 0.75))
        draw.rounded_rectangle(
            (x, size[1] - height, x + width, size[1] + 20),
            radius=14,
            fill=_rgba(colour, rng.randint(60, 150)),
        )
        x += width + rng.randint(12, 30)


def _rings(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    cx, cy = int(size[0] * rng.uniform(0.55, 0.8)), int(size[1] * rng.uniform(0.35, 0.65))
    for i, r in enumerate(range(40, max(size), 46)):
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), outline=_rgba(colour, max(20, 170 - i * 12)), width=5
        )


def _mountains(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    for layer in range(4):
        base = size[1] * (0.45 + layer * 0.14)
        points = [(0, size[1])]
        for x in range(0, size[0] + 100, 100):
            points.append((x, base - rng.uniform(0, size[1] * 0.22)))
        points.append((size[0], size[1]))
        draw.polygon(points, fill=_rgba(colour, 60 + layer * 45))


def _map(draw: ImageDraw.ImageDraw, size, colour: str, rng: random.Random) -> None:
    """Streets, blocks and pins: the feeling of a lunch map."""
    for y in range(70, size[1], 150):
        draw.line((0, y, size[0], y + rng.randint(-30, 30)), fill=_rgba("#ffffff", 200), width=18)
    for x in range(90, size[0], 210):
        draw.line((x, 0, x + rng.randint(-40, 40), size[1]), fill=_rgba("#ffffff", 200), width=14)
    for _ in range(12):
        x, y = rng.randint(60, size[0] - 60), rng.randint(60, size[1] - 60)
        draw.polygon([(x - 16, y - 18), (x + 16, y - 18), (x, y + 14)], fill=_rgba(colour, 255))
        draw.ellipse((x - 18, y - 40, x + 18, y - 4), fill=_rgba(colour, 255))
        draw.ellipse((x - 7, y - 29, x + 7, y - 15), fill=_rgba("#ffffff", 255))


MOTIFS = {
    "circles": _circles,
    "waves": _waves,
    "grid": _grid,
    "blocks": _blocks,
    "rings": _rings,
    "mountains": _mountains,
    "map": _map,
}


def picture(
    palette: tuple[str, str, str],
    motif: str,
    *,
    seed: int,
    size: tuple[int, int] = COVER_SIZE,
    angle: float = 35.0,
) -> bytes:
    """A JPEG: a gradient from palette[0] to palette[1] with a motif drawn in palette[2]."""
    image = _gradient(size, palette[0], palette[1], angle).convert("RGBA")
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    MOTIFS[motif](ImageDraw.Draw(layer), size, palette[2], random.Random(seed))
    image = Image.alpha_composite(image, layer).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=84, optimize=True, progressive=True)
    return out.getvalue()


def round_mark(colour: str, accent: str, *, size: int = 256, seed: int = 7) -> bytes:
    """A round PNG for a logo or an avatar: a disc with a folded sheet of paper."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=_rgba(colour, 255))
    rng = random.Random(seed)
    s = size / 256
    sheet = [
        (78 * s, 62 * s),
        (158 * s, 62 * s),
        (182 * s, 88 * s),
        (182 * s, 194 * s),
        (78 * s, 194 * s),
    ]
    draw.polygon(sheet, fill=_rgba("#fbf7ef", 255))
    draw.polygon([(158 * s, 62 * s), (158 * s, 88 * s), (182 * s, 88 * s)], fill=_rgba(accent, 255))
    for i in range(4):
        y = (110 + i * 20) * s
        draw.line(
            (96 * s, y, (96 + rng.randint(50, 68)) * s, y),
            fill=_rgba(accent, 200),
            width=max(2, int(6 * s)),
        )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
