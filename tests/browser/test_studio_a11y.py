"""The studio's main screens in Chromium, checked by axe-core at desktop and phone width.

axe-core comes inside the axe-playwright-python wheel (nothing is fetched when it runs). A
screen fails on any serious or critical violation (a form control without a label, a button
without a name, text below the contrast ratio, a focus order broken by tabindex, …). Two
things axe does not look at are checked here too: at 390 px no screen scrolls sideways, and
pressing Tab reaches every control in the order it is read, each one visibly focused.

The reports (axe's findings of every impact, and each screen's Tab stops in order) go to
test-artifacts/browser/a11y-<width>.json, the screenshots beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import timezone

from hanji.sending.actions import start_send_for_post
from hanji.subscribers.models import Newsletter, Segment, Subscriber, Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAILING_IMPACTS = {"serious", "critical"}

# Where the page scrolls sideways at phone width: the document, or any element wider than
# the window that is not inside a box that scrolls on its own (a wide table in `.scroll`).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth
  const wide = []
  if (document.documentElement.scrollWidth > width) wide.push(`the page is ${document.documentElement.scrollWidth}px wide`)
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect()
    if (box.width === 0 || box.right <= width + 1) continue
    let scroller = el.parentElement
    while (scroller && !["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement
    if (!scroller || scroller === document.body || scroller === document.documentElement)
      wide.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${[...el.classList].join(".")} ends at ${Math.round(box.right)}px`)
  }
  return wide.slice(0, 5)
}"""

# The element that has the focus, whether it can be seen and whether it (or the label that
# stands in for a hidden file input) shows a focus ring; {again: true} once Tab comes round.
FOCUSED = """() => {
  const el = document.activeElement
  if (!el || el === document.body) return null
  // Tab walks through the parts of a date field without leaving it.
  if (el === window.lastTabStop) return { inside: true }
  if (el.dataset.tabStop) return { again: true }
  el.dataset.tabStop = "1"
  window.lastTabStop = el
  const shown = el.matches(".visually-hidden") ? document.querySelector(`label[for="${el.id}"]`) || el : el
  const box = shown.getBoundingClientRect()
  const style = getComputedStyle(shown)
  // Inside a frame (a preview) the focus is the frame's own page's to draw.
  const ring = el.tagName === "IFRAME" || (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none"
  const words = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "").trim().slice(0, 30)
  return {
    what: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${words}"`,
    visible: box.width > 0 && box.height > 0,
    ring,
  }
}"""


@pytest.fixture
def studio_world(publication, owner, make_post, tmp_path):
    """A publication with a newsletter, subscribers, posts and a CSV to import."""
    newsletter = Newsletter.objects.create(
        publication=publication, name="주간 레터", slug="weekly", sender_name="주간 실리콘밸리"
    )
    now = timezone.now()
    for i in range(3):
        subscriber = Subscriber.objects.create(
            publication=publication,
            email=f"reader{i}@example.org",
            name=f"독자{i}",
            status="active",
            created_at=now,
            confirmed_at=now,
        )
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
    sent = make_post(title="종이를 뜨는 사람들", slug="paper")
    send = start_send_for_post(sent, newsletter)
    draft = make_post(title="초안", publish=False)
    draft.revisions.create(title="옛 제목", body="<p>옛 본문</p>", kind="save")
    Segment.objects.create(publication=publication, name="모두", statuses=["active"])
    csv = tmp_path / "구독자.csv"
    csv.write_text(
        "이메일,이름\nnew1@example.org,새 독자\nnot-an-address,틀린 줄\n", encoding="utf-8"
    )
    return {
        "draft": draft,
        "csv": csv,
        "publication": publication,
        "send": send,
        "subscriber": subscriber,
    }


def _screens(page, base: str, world) -> list[tuple[str, str | None]]:
    """(name, URL) of each screen to check; a None URL means "where the last step left off"."""
    slug = world["publication"].slug
    draft = world["draft"].pk
    return [
        ("dashboard", f"{base}/studio/"),
        ("publication", f"{base}/studio/p/{slug}/"),
        ("posts", f"{base}/studio/p/{slug}/posts/"),
        ("editor", f"{base}/studio/p/{slug}/posts/{draft}/"),
        ("subscribers", f"{base}/studio/p/{slug}/subscribers/"),
        ("import", f"{base}/studio/p/{slug}/import/"),
        ("import-columns", None),
        ("import-report", None),
        ("settings", f"{base}/studio/p/{slug}/settings/"),
        ("team", f"{base}/studio/p/{slug}/settings/team/"),
        ("outbox", f"{base}/studio/p/{slug}/outbox/"),
        ("account", f"{base}/studio/account/"),
        # the other screens, more briefly
        ("revisions", f"{base}/studio/p/{slug}/posts/{draft}/revisions/"),
        ("preview", f"{base}/studio/p/{slug}/posts/{draft}/preview/"),
        ("sends", f"{base}/studio/p/{slug}/sends/"),
        ("send", f"{base}/studio/p/{slug}/sends/{world['send'].pk}/"),
        ("subscriber", f"{base}/studio/p/{slug}/subscribers/{world['subscriber'].pk}/"),
        ("subscriber-add", f"{base}/studio/p/{slug}/subscribers/add/"),
        ("segments", f"{base}/studio/p/{slug}/subscribers/segments/"),
        ("newsletters", f"{base}/studio/p/{slug}/settings/newsletters/"),
        ("domains", f"{base}/studio/p/{slug}/settings/domains/"),
        ("delete", f"{base}/studio/p/{slug}/settings/delete/"),
        ("settings-business", f"{base}/studio/p/{slug}/settings/business/"),
        ("settings-engagement", f"{base}/studio/p/{slug}/settings/engagement/"),
        ("settings-sending", f"{base}/studio/p/{slug}/settings/sending/"),
        ("settings-billing", f"{base}/studio/p/{slug}/settings/billing/"),
        ("send-confirm", f"{base}/studio/p/{slug}/posts/{draft}/send/?publish=1"),
        ("comments", f"{base}/engagement/studio/{slug}/comments/"),
        ("new-publication", f"{base}/studio/new/"),
    ]


def _next_import_step(page, name: str, world) -> None:
    if name == "import-columns":
        page.set_input_files("#id_file", str(world["csv"]))
        page.click("main button[type=submit]")
        page.wait_for_selector("[data-testid=problems]")
    elif name == "import-report":
        page.click("main form button[type=submit]")
        page.wait_for_url("**/import/*/")
        page.wait_for_selector(".report")


def _wait_until_ready(page, name: str) -> None:
    page.wait_for_load_state("load")
    if name == "editor":
        page.wait_for_selector(".prose-editor [contenteditable=true]")
        page.wait_for_selector(".prose-menubar__selected[aria-label]")


def _axe_problems(page, name: str, reports: dict) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    reports[name] = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]],
        }
        for v in results["violations"]
    ]
    return [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


def _keyboard_problems(page, name: str, reports: dict, limit: int = 150) -> list[str]:
    """Tab from the top: every stop is visible and shows a focus ring; it ends somewhere."""
    problems: list[str] = []
    # Start from the top of the page: focus a mark there and take it away again.
    page.evaluate(
        """() => {
          const mark = document.createElement("span")
          mark.tabIndex = -1
          document.body.prepend(mark)
          mark.focus()
          mark.remove()
        }"""
    )
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or focused.get("again"):
            break
        if focused.get("inside"):
            continue
        seen.append(focused)
        if not focused["visible"]:
            problems.append(f"{name}: Tab stops on {focused['what']}, which cannot be seen")
        elif not focused["ring"]:
            problems.append(f"{name}: {focused['what']} shows no focus ring")
    if not seen:
        problems.append(f"{name}: Tab reaches nothing")
    reports[f"{name}: tab stops"] = [stop["what"] for stop in seen]
    return problems


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_main_studio_screens_pass_axe_and_work_by_keyboard(
    width, viewports, browser, studio_page, live_server, studio_world, artifacts, settings
):
    base = live_server.url
    problems: list[str] = []
    reports: dict = {}

    # Signing in and signing up, before there is a session.
    settings.HANJI_ALLOW_SIGNUPS = True
    anonymous = browser.new_context(**viewports[width], locale="en-US")
    page = anonymous.new_page()
    for name, path in (
        ("sign-in", "login/"),
        ("sign-in-link", "login/link/"),
        ("sign-up", "signup/"),
    ):
        page.goto(f"{base}/studio/{path}")
        problems += _axe_problems(page, name, reports)
        problems += _keyboard_problems(page, name, reports)
        if width == "phone":
            problems += [f"{name}: {w}" for w in page.evaluate(OVERFLOW)]
    anonymous.close()

    page = studio_page("owner@example.com", **viewports[width])
    for name, url in _screens(page, base, studio_world):
        if url is None:
            _next_import_step(page, name, studio_world)
        else:
            page.goto(url)
        _wait_until_ready(page, name)
        problems += _axe_problems(page, name, reports)
        problems += _keyboard_problems(page, name, reports)
        if width == "phone":
            problems += [f"{name}: {w}" for w in page.evaluate(OVERFLOW)]
        page.screenshot(path=str(artifacts / f"a11y-{width}-{name}.png"), full_page=True)

    Path(artifacts / f"a11y-{width}.json").write_text(
        json.dumps(reports, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    assert problems == [], "\n".join(problems)


def test_the_checks_find_what_they_look_for(browser, viewports):
    """The checks themselves: a page with an unlabeled input, a nameless button and a
    too-wide box fails each of them."""
    context = browser.new_context(**viewports["phone"])
    page = context.new_page()
    page.set_content(
        "<html lang='en'><head><title>t</title>"
        "<meta name='viewport' content='width=device-width'></head><body><main>"
        "<input type='text'><button></button>"
        "<div style='width: 900px'>wide</div>"
        "<a href='#' style='outline: none'>x</a>"
        "</main></body></html>"
    )
    problems = _axe_problems(page, "sample", {})
    assert any("label" in p for p in problems) and any("button-name" in p for p in problems)
    assert page.evaluate(OVERFLOW)
    assert any("no focus ring" in p for p in _keyboard_problems(page, "sample", {}))
    context.close()
