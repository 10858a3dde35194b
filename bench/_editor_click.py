"""Time from a click on a post in the studio's post list to a usable editor, in Chromium.

"Usable" is what a writer needs: the ProseMirror area editable, the editor object built
(`window.hanjiEditor`), and a typed character showing in the body. Measured against a real
`hanji web` on loopback (granian, whitenoise, DEBUG off), so static files, their headers and
compression count, as they do for a person:

- cold: a new browser profile (empty HTTP cache), signed in, then the click;
- warm: the same profile clicking again after going back to the list (what a writer does
  all day: the bundle is in the browser's cache).

The figure against the budget is taken on the browser's own clock: from the click event on
the list page to the moment studio/editor.js has built the editor (a `performance.mark`).
A second figure, from outside, runs from just before Playwright's `click()` until a typed
character shows in the body; it adds the automation's own round trips (tens of ms each on a
busy machine), so it is an upper bound.
The resources the editor page loaded are reported with their sizes on the wire.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

CHROMIUM = Path(os.environ.get("HANJI_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
READY = """() => {
  const area = document.querySelector('.prose-editor [contenteditable=true]')
  return !!(area && window.hanjiEditor)
}"""


def _sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/studio/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if "/login/" in page.url:
        raise RuntimeError("the benchmark could not sign in")


CLICK_STAMP = """() => document.addEventListener('click', () => sessionStorage.setItem(
  'hanji-click', String(performance.timeOrigin + performance.now())), {capture: true})"""
# In the editor page: from the click (stamped by the list page) to the editor built, both on
# the browser's own clock, so the automation's round trips are not in it.
CLICK_TO_READY = """() => {
  const ready = performance.getEntriesByName('hanji-editor-ready')[0]
  return performance.timeOrigin + ready.startTime - Number(sessionStorage.getItem('hanji-click'))
}"""


def _click_to_usable(page, list_url: str) -> tuple[float, float]:
    """(in the browser: click to editor built; from outside: click to a typed character shown
    in the body, with Playwright's own round trips), in milliseconds."""
    page.goto(list_url)
    page.wait_for_load_state("load")
    page.evaluate(CLICK_STAMP)
    link = page.locator("table a[href*='/posts/']").first
    started = time.perf_counter()
    link.click()
    page.wait_for_function(READY, polling="raf", timeout=60_000)
    page.locator(".prose-editor [contenteditable=true]").first.press("End")
    page.keyboard.type("가")
    page.wait_for_function(
        "() => document.querySelector('.prose-editor [contenteditable=true]')"
        ".textContent.includes('가')",
        polling="raf",
    )
    typed = (time.perf_counter() - started) * 1000
    return page.evaluate(CLICK_TO_READY), typed


def _phases(page) -> dict:
    """Where the last click's time went, from the editor page's navigation timing (ms after
    the navigation started): the HTML's first and last byte, DOMContentLoaded, the load
    event, and the editor built (`hanjiEditorReady`, set by studio/editor.js)."""
    return page.evaluate(
        """() => {
          const n = performance.getEntriesByType('navigation')[0]
          const ready = performance.getEntriesByName('hanji-editor-ready')[0]
          return {html_first_byte: Math.round(n.responseStart), html_done: Math.round(n.responseEnd),
                  dom_content_loaded: Math.round(n.domContentLoadedEventEnd),
                  load: Math.round(n.loadEventEnd), editor_ready: ready ? Math.round(ready.startTime) : null}
        }"""
    )


def _resources(page) -> list[dict]:
    return page.evaluate(
        """() => performance.getEntriesByType('resource').map(r => ({
             name: r.name.replace(location.origin, ''), transfer: r.transferSize,
             body: r.decodedBodySize, ms: Math.round(r.duration)}))"""
    )


def measure(base_url: str, slug: str, email: str, password: str, runs: int = 5) -> dict:
    from playwright.sync_api import sync_playwright

    list_url = f"{base_url}/studio/p/{slug}/posts/"
    cold, warm, cold_typed, warm_typed = [], [], [], []
    resources: list[dict] = []
    headers: dict[str, str] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for run in range(3):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
            page = context.new_page()
            _sign_in(page, base_url, email, password)
            ready, typed = _click_to_usable(page, list_url)
            cold.append(ready)
            cold_typed.append(typed)
            if run == 0:
                resources = _resources(page)
                cold_phases = _phases(page)
                bundle = max(
                    (r for r in resources if r["name"].endswith(".js")), key=lambda r: r["body"]
                )["name"]
                response = page.request.get(
                    base_url + bundle, headers={"Accept-Encoding": "br, gzip"}
                )
                headers = {
                    k: v
                    for k, v in response.headers.items()
                    if k in ("cache-control", "content-encoding", "content-length", "etag")
                }
            for _ in range(runs):
                ready, typed = _click_to_usable(page, list_url)
                warm.append(ready)
                warm_typed.append(typed)
            warm_phases = _phases(page)
            context.close()
        browser.close()
    editor_assets = [
        r
        for r in resources
        if "/static/" in r["name"] and r["name"].split("?")[0].endswith((".js", ".css", ".woff2"))
    ]
    return {
        "cold_ms": [round(x) for x in cold],
        "cold_median_ms": round(statistics.median(cold)),
        "warm_median_ms": round(statistics.median(warm)),
        "warm_max_ms": round(max(warm)),
        "typed_cold_median_ms": round(statistics.median(cold_typed)),
        "typed_warm_median_ms": round(statistics.median(warm_typed)),
        "static_transfer_kb": round(sum(r["transfer"] for r in editor_assets) / 1024),
        "static_body_kb": round(sum(r["body"] for r in editor_assets) / 1024),
        "assets": editor_assets,
        "cold_phases_ms": cold_phases,
        "warm_phases_ms": warm_phases,
        "bundle_headers": headers,
    }
