"""Bad input: uploads that are not pictures, link cards that point inside, forged forms."""

from __future__ import annotations

import http.server
import io
import threading

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from hanji.core.fetch import FetchRefused, fetch
from hanji.posts.bookmarks import card_for_url

pytestmark = pytest.mark.django_db


def png(width=40, height=30, mode="RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (width, height), (200, 100, 50) if mode == "RGB" else (0, 0, 0, 0)).save(
        out, "PNG"
    )
    return out.getvalue()


def _upload(client, data: bytes, name: str = "picture.jpg", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("studio:upload_image", args=["weekly"]),
        {"image": SimpleUploadedFile(name, data, content_type="image/jpeg")},
        **extra,
    )


# --- uploads ----------------------------------------------------------------------------------


def test_a_picture_is_stored_in_responsive_widths(client, owner, settings):
    client.force_login(owner)
    response = _upload(client, png(2000, 1000), "big.png")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["src"].endswith("-960.jpg") and data["width"] == 960 and data["height"] == 480
    assert [part.split(" ")[1] for part in data["srcset"].split(", ")] == ["480w", "960w", "1600w"]
    from PIL import Image

    stored = settings.MEDIA_ROOT / data["src"].removeprefix("/media/")
    with Image.open(stored) as image:
        assert image.size == (960, 480) and image.format == "JPEG"


def test_a_transparent_picture_stays_png(client, owner):
    client.force_login(owner)
    data = _upload(client, png(100, 100, "RGBA"), "logo.png").json()
    assert data["src"].endswith("-100.png")


def gif(width: int, height: int, frames: int = 3, **info) -> bytes:
    """An animated GIF whose frames differ (red, green, blue, …), 100/200/300 ms each."""
    from PIL import Image

    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    images = [Image.new("RGB", (width, height), colours[i % 4]) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=[100 * (i + 1) for i in range(frames)],
        **info,
    )
    return out.getvalue()


def _stored(settings, url: str):
    from PIL import Image

    return Image.open(settings.MEDIA_ROOT / url.removeprefix("/media/"))


def test_an_animated_gif_stays_animated_in_every_width(client, owner, settings):
    client.force_login(owner)
    response = _upload(client, gif(1200, 600, loop=0), "dance.gif")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["src"].endswith("-960.gif") and (data["width"], data["height"]) == (960, 480)
    urls = [part.split(" ")[0] for part in data["srcset"].split(", ")]
    assert [url.rsplit("-", 1)[1] for url in urls] == ["480.gif", "960.gif", "1200.gif"]
    for url, width in zip(urls, (480, 960, 1200), strict=True):
        with _stored(settings, url) as image:
            assert image.format == "GIF" and image.size == (width, width // 2)
            assert image.n_frames == 3 and image.info["loop"] == 0
            durations, colours = [], []
            for index in range(3):
                image.seek(index)
                durations.append(image.info["duration"])
                colours.append(image.convert("RGB").getpixel((5, 5)))
            assert durations == [100, 200, 300]
            assert colours == [(255, 0, 0), (0, 255, 0), (0, 0, 255)]


def test_an_animation_that_plays_once_still_plays_once(client, owner, settings):
    client.force_login(owner)
    data = _upload(client, gif(300, 200), "once.gif").json()
    with _stored(settings, data["src"]) as image:
        assert image.n_frames == 3 and "loop" not in image.info


def test_an_animated_webp_becomes_an_animated_gif_email_clients_play(client, owner, settings):
    from PIL import Image

    frames = [Image.new("RGB", (300, 200), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(
        out, "WEBP", save_all=True, append_images=frames[1:], duration=[50, 60, 70], loop=2
    )
    client.force_login(owner)
    data = _upload(client, out.getvalue(), "clip.webp").json()
    with _stored(settings, data["src"]) as image:
        assert image.format == "GIF" and image.n_frames == 3 and image.info["loop"] == 2
        durations = []
        for index in range(3):
            image.seek(index)
            durations.append(image.info["duration"])
        assert durations == [50, 60, 70]


def test_a_gif_with_too_many_pixels_to_resize_is_kept_as_it_came(
    client, owner, settings, monkeypatch
):
    from hanji.posts import images

    original = gif(1000, 500, frames=3, loop=0)
    monkeypatch.setattr(images, "ANIMATION_PIXELS", 1000 * 500 * 2)  # two frames, not three
    client.force_login(owner)
    data = _upload(client, original, "long.gif").json()
    assert data["src"].endswith("-1000.gif") and data["srcset"] == f"{data['src']} 1000w"
    assert (settings.MEDIA_ROOT / data["src"].removeprefix("/media/")).read_bytes() == original


def test_an_animated_webp_over_the_budget_becomes_a_still(client, owner, settings, monkeypatch):
    from PIL import Image

    from hanji.posts import images

    frames = [Image.new("RGB", (300, 200), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=50)
    monkeypatch.setattr(images, "ANIMATION_PIXELS", 300 * 200 * 2)
    client.force_login(owner)
    data = _upload(client, out.getvalue(), "clip.webp").json()
    assert data["src"].endswith("-300.jpg")  # email clients cannot show WebP as it came
    with _stored(settings, data["src"]) as image:
        assert image.format == "JPEG" and image.getpixel((5, 5))[0] > 200  # the first frame


def test_a_damaged_animation_is_refused_with_a_reason(client, owner):
    client.force_login(owner)
    data = gif(200, 100, frames=3)
    response = _upload(client, data[: len(data) * 2 // 3], "cut.gif")
    assert response.status_code == 400
    assert "damaged" in response.json()["error"] or "not a picture" in response.json()["error"]


def test_a_file_that_is_not_a_picture_is_refused_even_named_jpg(client, owner):
    client.force_login(owner)
    response = _upload(client, b"%PDF-1.7 not a picture at all" * 10)
    assert response.status_code == 400
    assert "not a picture" in response.json()["error"]


def test_an_svg_with_a_script_is_refused(client, owner):
    client.force_login(owner)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = _upload(client, svg, "drawing.png")
    assert response.status_code == 400
    assert "SVG" in response.json()["error"] and "scripts" in response.json()["error"]


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(client, owner):
    """A tiny PNG that declares 30,000 × 30,000 pixels (900 megapixels)."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )
    client.force_login(owner)
    response = _upload(client, bomb, "bomb.png")
    assert response.status_code == 400
    assert "too large" in response.json()["error"] or "not a picture" in response.json()["error"]


def test_a_file_over_20_mb_is_refused(client, owner):
    client.force_login(owner)
    response = _upload(client, b"\xff\xd8\xff" + b"0" * (21 * 1024 * 1024))
    assert response.status_code == 413
    assert "20 MB" in response.json()["error"]


def test_a_100_mb_upload_is_refused_without_reading_it(client, owner, tmp_path):
    """The issue's 100 MB file: refused from its declared length, before the body is read."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import encode_multipart

    client.force_login(owner)
    body = encode_multipart(
        "BoUnDaRy",
        {"image": SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + bytes(100 * 1024 * 1024))},
    )
    response = client.generic(
        "POST",
        reverse("studio:upload_image", args=["weekly"]),
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
    )
    assert response.status_code == 413
    assert "20 MB" in response.json()["error"]


# --- the fetcher ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://localhost:8000/admin/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_the_fetcher_refuses_private_and_local_addresses(url):
    with pytest.raises(FetchRefused, match="private or local"):
        fetch(url, timeout=2)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "http://user:pw@example.com/"]
)
def test_the_fetcher_refuses_other_schemes_and_credentials(url):
    with pytest.raises(FetchRefused):
        fetch(url)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802
        status, headers, body = self.routes.get(self.path, (404, {}, b"no"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_site():
    """An HTTP server on 127.0.0.2 (reachable only when the test allows that one address)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.2:{server.server_address[1]}"
    _Handler.routes = {
        "/page": (
            200,
            {"Content-Type": "text/html; charset=utf-8"},
            '<html><head><title>t</title><meta property="og:title" content="한지 공방 이야기">'
            '<meta property="og:description" content="전주의 종이 <b>공방</b>">'
            '<meta property="og:image" content="/cover.png"></head><body>…</body></html>'.encode(),
        ),
        "/cover.png": (200, {"Content-Type": "image/png"}, png(600, 300)),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-private": (302, {"Location": "http://10.0.0.1/"}, b""),
        "/to-localhost": (
            302,
            {"Location": f"http://localhost:{server.server_address[1]}/page"},
            b"",
        ),
    }
    yield base
    server.shutdown()
    server.server_close()


def test_a_redirect_to_a_private_address_is_refused(local_site):
    with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.2/32"]):
        assert fetch(local_site + "/page").status == 200
        for path in ("/to-metadata", "/to-private"):
            with pytest.raises(FetchRefused, match="private or local"):
                fetch(local_site + path)


def test_a_redirect_to_a_name_that_resolves_to_loopback_is_refused(local_site):
    with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.2/32"]):
        with pytest.raises(FetchRefused, match="private or local"):
            fetch(local_site + "/to-localhost")


def test_without_the_operators_permission_even_the_happy_path_is_refused(local_site):
    with pytest.raises(FetchRefused):
        fetch(local_site + "/page")


def test_a_bookmark_card_has_the_pages_title_description_and_a_stored_picture(
    local_site, publication
):
    with override_settings(HANJI_FETCH_ALLOW_PRIVATE=True):
        html = card_for_url(publication.pk, local_site + "/page")
    assert html.startswith('<figure class="bookmark">')
    assert "한지 공방 이야기" in html and "전주의 종이 &lt;b&gt;공방&lt;/b&gt;" in html
    assert 'class="bookmark-image" src="/media/images/' in html  # stored here, not hotlinked


def test_the_card_endpoint_refuses_a_private_address_with_a_clear_message(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("studio:card", args=["weekly"]), {"url": "http://169.254.169.254/"}
    )
    assert response.status_code == 400
    assert "private or local" in response.json()["error"]


def test_youtube_and_x_links_become_embeds(client, owner):
    client.force_login(owner)
    card = client.post(
        reverse("studio:card", args=["weekly"]), {"url": "https://youtu.be/dQw4w9WgXcQ"}
    ).json()
    assert 'data-provider="youtube"' in card["html"]
    card = client.post(
        reverse("studio:card", args=["weekly"]), {"url": "https://x.com/hanji/status/123"}
    ).json()
    assert 'data-provider="x"' in card["html"]


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [
        ("studio:post_new", []),
        ("studio:post_edit", ["post"]),
        ("studio:post_autosave", ["post"]),
        ("studio:upload_image", []),
        ("studio:card", []),
        ("studio:send_control", ["send", "pause"]),
        ("studio:subscriber_add", []),
        ("studio:import_start", []),
        ("studio:settings", []),
        ("studio:team", []),
        ("studio:danger", []),
        ("studio:account", None),
        ("studio:logout", None),
    ],
)
def test_every_form_needs_its_csrf_token(world, owner, name, args):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    url = (
        reverse(name)
        if args is None
        else reverse(name, args=["weekly", *[world[a].pk if a in world else a for a in args]])
    )
    before = (world["send"].__class__.objects.get(pk=world["send"].pk).state,)
    response = client.post(
        url,
        {
            "action": "2fa-start",
            "title": "위조",
            "email": "x@example.com",
            "section": "profile",
            "confirm": "weekly",
        },
    )
    assert response.status_code == 403, (name, response.status_code)
    assert (world["send"].__class__.objects.get(pk=world["send"].pk).state,) == before


def test_sign_in_needs_its_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("studio:login"), {"username": "owner@example.com", "password": "pw-very-secret-1"}
    )
    assert response.status_code == 403
