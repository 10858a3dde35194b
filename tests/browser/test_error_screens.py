"""Screens in their error state, in both languages at both widths (test-artifacts/browser/):
an import upload that is not a CSV and the column step of one that is, an invitation whose
link is wrong and one accepted with too short a password."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = "email,name\nhong@example.com,홍길동\nnot-an-address,김철수\n"


def shoot(page, artifacts, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["ko-KR", "en-US"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_import_upload_says_what_is_wrong_with_a_file(
    studio_page, live_server, publication, owner, artifacts, tmp_path, language, width
):
    page = studio_page("owner@example.com", locale=language, **(PHONE if width == "phone" else {}))
    tag = f"{language[:2]}-{width}"
    page.goto(f"{live_server.url}/studio/p/{publication.slug}/import/")
    picture = tmp_path / "photo.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    page.set_input_files("#id_file", str(picture))
    with page.expect_navigation():
        page.locator("form:has(#id_file) button[type=submit]").click()
    assert page.locator("#id_file[aria-invalid=true]").count() == 1
    assert page.locator("#id_file_error").inner_text().strip()
    shoot(page, artifacts, f"import-error-{tag}")
    good = tmp_path / "readers.csv"
    good.write_text(CSV, encoding="utf-8")
    page.set_input_files("#id_file", str(good))
    with page.expect_navigation():
        page.locator("form:has(#id_file) button[type=submit]").click()
    assert page.locator("[data-testid=problems]").count() == 1
    shoot(page, artifacts, f"import-columns-{tag}")


@pytest.mark.parametrize("language", ["ko-KR", "en-US"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_an_invitation_says_what_is_wrong(
    browser, live_server, publication, owner, artifacts, language, width
):
    from hanji.studio.actions import invite

    context = browser.new_context(locale=language, **(PHONE if width == "phone" else DESKTOP))
    page = context.new_page()
    page.set_default_timeout(20_000)
    tag = f"{language[:2]}-{width}"
    page.goto(f"{live_server.url}/studio/invitation/{publication.pk}/not-a-token/")
    assert page.locator("main [role=alert]").inner_text().strip()
    shoot(page, artifacts, f"invitation-wrong-link-{tag}")
    tokens: list[str] = []
    invite(publication, "newcomer@example.com", "editor", owner, tokens.append)
    page.goto(f"{live_server.url}/studio/invitation/{publication.pk}/{tokens[0]}/")
    page.fill("#id_password", "short")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert page.locator("#id_password[aria-invalid=true]").count() == 1
    assert page.locator("#id_password_error").inner_text().strip()
    shoot(page, artifacts, f"invitation-password-error-{tag}")
    context.close()
