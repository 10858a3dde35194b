"""Pictures in posts: checked, re-encoded and resized on the server into a few widths.

What arrives is never stored as it came: Pillow decodes it (so a non-image with a .jpg name,
a truncated file or an SVG with a script is refused), the size in pixels is checked before
any pixel is decoded (a small file can unpack to gigabytes: a decompression bomb), EXIF
rotation is applied and every other piece of metadata dropped (GPS positions), and each width
is written as a fresh JPEG (PNG when the picture has transparency). Email clients read JPEG
and PNG everywhere; WebP not.

Animated pictures (GIF, animated WebP or PNG) stay animated: every frame is resized and the
widths are written as GIF with the frames' durations and loop count. The frames of one
picture together may hold at most ANIMATION_PIXELS pixels, so that an animation costs about
what the largest still does (every frame is resized, so a pixel of an animation costs more
than a pixel of a still); over that budget a GIF is kept as it came (it still plays, it is
only not resized) and any other animation becomes a still of its first frame.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000  # about 8,600 × 5,800: more than any camera's picture
# All frames of an animation together: 90 frames of 400 × 400, or 15 of 1000 × 1000. Measured
# side by side on the shared 2-core machine (2026-11-28): 3.2-3.5 s and +100 MB, against
# 2.3-2.4 s and +375 MB for a 50-megapixel still (resizing every frame is the cost).
ANIMATION_PIXELS = 15_000_000
WIDTHS = (480, 960, 1600)
EMAIL_WIDTH = 960  # `src` (what email and feeds use): sharp at 600 px on a 2x screen
FORMATS = {"JPEG", "PNG", "GIF", "WEBP", "MPO"}
ANIMATED_FORMATS = {"GIF", "WEBP", "PNG"}


class ImageRefused(ValueError):
    """The upload is not a picture Hanji accepts; the message says why and what to do."""


@dataclass
class StoredImage:
    src: str
    srcset: str
    width: int
    height: int
    # The storage name of the widest version (a post's cover points at it); not sent to
    # the editor.
    largest: str = ""

    def as_dict(self) -> dict:
        return {"src": self.src, "srcset": self.srcset, "width": self.width, "height": self.height}


def _looks_like_svg(head: bytes) -> bool:
    text = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:512]


def check_size(size: int | None) -> None:
    if size is not None and size > MAX_BYTES:
        raise ImageRefused(
            _("The file is %(size)d MB; pictures may be at most 20 MB. Make it smaller first.")
            % {"size": size // (1024 * 1024)}
        )


def open_image(data: bytes):
    """A decoded Pillow image, or ImageRefused with a clear reason."""
    from PIL import Image, UnidentifiedImageError

    check_size(len(data))
    if _looks_like_svg(data):
        raise ImageRefused(
            _(
                "SVG files can carry scripts, so Hanji does not accept them. "
                "Export the picture as PNG or JPEG."
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise ImageRefused(_("Use a JPEG, PNG, GIF or WebP picture."))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRefused(
                    _(
                        "The picture is %(width)d × %(height)d pixels, too large to process. "
                        "Make it smaller first."
                    )
                    % {"width": width, "height": height}
                )
            image.load()
        except ImageRefused:
            raise
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise ImageRefused(
                _("This file is not a picture Hanji can read (JPEG, PNG, GIF or WebP).")
            ) from None
        except (OSError, SyntaxError, ValueError):
            raise ImageRefused(_("The picture is damaged or cut off; it cannot be read.")) from None
    return image


def _encode(image, width: int) -> tuple[bytes, str, int]:
    from PIL import Image

    if image.width > width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image.convert("RGBA").save(out, "PNG", optimize=True)
        return out.getvalue(), "png", image.height
    image.convert("RGB").save(out, "JPEG", quality=82, progressive=True, optimize=True)
    return out.getvalue(), "jpg", image.height


def _is_animation(image) -> bool:
    return image.format in ANIMATED_FORMATS and getattr(image, "n_frames", 1) > 1


def _animation_fits(image) -> bool:
    """Whether resizing every frame stays within the animation budget."""
    return image.n_frames * image.width * image.height <= ANIMATION_PIXELS


def _encode_animation(image, widths: list[int]) -> list[tuple[int, bytes, int]]:
    """(width, GIF bytes, height) for each width, every frame resized, durations and loop kept.

    Each width decodes the frames again, in order (each is composed onto the ones before it,
    as a browser would show it), so only one width's frames are held at a time.
    """
    from PIL import Image, ImageSequence

    loop = {"loop": image.info["loop"]} if "loop" in image.info else {}
    encoded = []
    for width in widths:
        width = min(width, image.width)
        size = (width, max(1, round(image.height * width / image.width)))
        frames, durations = [], []
        try:
            for frame in ImageSequence.Iterator(image):
                # Opaque frames resize as RGB, twice as fast as RGBA. Loading the frame
                # fills in its duration.
                whole = frame.convert("RGBA" if frame.has_transparency_data else "RGB")
                durations.append(int(frame.info.get("duration") or 100))
                if whole.size != size:
                    whole = whole.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
                frames.append(whole)
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused(_("The picture is damaged or cut off; it cannot be read.")) from None
        out = io.BytesIO()
        frames[0].save(
            out,
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            disposal=2,  # each frame is whole (composed above): clear before drawing the next
            **loop,
        )
        encoded.append((width, out.getvalue(), size[1]))
    return encoded


def _store(name: str, data: bytes) -> str:
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data))
    return settings.MEDIA_URL + name


def store_image(publication_id: int, data: bytes) -> StoredImage:
    """Check, re-encode and store `data` in each width up to the picture's own."""
    from PIL import ImageOps

    image = open_image(data)
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = PurePosixPath("images", str(publication_id), timezone.now().strftime("%Y/%m"))
    candidates: list[tuple[str, int, int]] = []
    animated = _is_animation(image)
    if animated and image.format == "GIF" and not _animation_fits(image):
        # Too many frames to resize within the budget: the GIF as it came still plays.
        name = str(folder / f"{digest}-{image.width}.gif")
        candidates.append((_store(name, data), image.width, image.height))
    elif animated and _animation_fits(image):
        widths = [w for w in WIDTHS if w < image.width] + [min(image.width, WIDTHS[-1])]
        for width, encoded, height in _encode_animation(image, sorted(set(widths))):
            name = str(folder / f"{digest}-{width}.gif")
            candidates.append((_store(name, encoded), width, height))
    else:
        image = ImageOps.exif_transpose(image)
        widths = [w for w in WIDTHS if w < image.width] + [min(image.width, WIDTHS[-1])]
        for width in sorted(set(widths)):
            encoded, extension, height = _encode(image, width)
            name = str(folder / f"{digest}-{width}.{extension}")
            candidates.append((_store(name, encoded), width, height))
    chosen = [c for c in candidates if c[1] <= EMAIL_WIDTH][-1:] or candidates[:1]
    src, width, height = chosen[0]
    return StoredImage(
        src=src,
        srcset=", ".join(f"{url} {w}w" for url, w, _h in candidates),
        width=width,
        height=height,
        largest=candidates[-1][0].removeprefix(settings.MEDIA_URL),
    )


def store_remote_image(publication_id: int, data: bytes) -> str | None:
    """A fetched picture (a bookmark's preview) stored small, as a still; None when it is not
    one."""
    try:
        image = open_image(data)
    except ImageRefused:
        return None
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    encoded, extension, _height = _encode(image, 480)
    digest = hashlib.sha256(data).hexdigest()[:16]
    return _store(f"images/{publication_id}/bookmarks/{digest}.{extension}", encoded)
