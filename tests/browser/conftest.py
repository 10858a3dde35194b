"""Artifacts of the browser tests and a signed-in studio page; the `browser` fixture is in
tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "pw-very-secret-1"  # the personas' password (tests/conftest.py)
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def viewports() -> dict[str, dict]:
    """Browser context options for each width the studio is checked at."""
    return {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def studio_page(browser, live_server):
    """`open(email, **context_options)`: a new page signed in to the studio as `email`."""
    contexts = []

    def open_page(email: str, **options):
        context = browser.new_context(**{**DESKTOP, "locale": "en-US", **options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{live_server.url}/studio/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert "/login/" not in page.url, page.inner_text("main")[:300]
        return page

    yield open_page
    for context in contexts:
        context.close()
