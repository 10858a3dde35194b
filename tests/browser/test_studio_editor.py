"""The post editor's toolbar in Chromium: every button shows an icon or a word (never "?") and
has a name a screen reader can say, wherever the cursor is."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = (
    "<h2>물질 한 번에 한 장</h2><p>발을 물에 담갔다가 흔듭니다.</p>"
    '<figure class="image"><img src="/static/hanji/favicon.svg" alt="공방"></figure>'
    '<hr data-hanji="paywall"><p>유료 구독자만 봅니다.</p>'
    "<table><tbody><tr><th>단계</th><th>시간</th></tr><tr><td>삶기</td><td>3시간</td></tr>"
    "</tbody></table>"
)

# What is wrong with the visible toolbar buttons, as sentences (empty when nothing is).
PROBLEMS = """async () => {
  await document.fonts.load("24px 'Material Icons'")
  await document.fonts.ready
  const problems = []
  const controls = ".prose-menubar button, .prose-menubar [role=button], .prose-menubar .material-icons"
  for (const button of document.querySelectorAll(controls)) {
    if (!button.checkVisibility()) continue
    const text = button.innerText.trim()
    const name = button.closest("[aria-label]")?.getAttribute("aria-label") || text
    if (text === "?" || text === "question_mark") problems.push(`${name} shows "?"`)
    if (!text && !button.querySelector("svg")) problems.push(`${name} shows nothing`)
    if (button.classList.contains("material-icons")) {
      // An icon is one ligature glyph about one em wide; a name the font lacks is a word.
      const range = document.createRange()
      range.selectNodeContents(button)
      const width = range.getBoundingClientRect().width
      if (width > parseFloat(getComputedStyle(button).fontSize) * 1.5)
        problems.push(`${name}: the icon font has no "${text}" (${width}px wide)`)
    }
  }
  for (const menu of document.querySelectorAll(".prose-menubar__selected")) {
    const arrow = getComputedStyle(menu, "::after").content
    if (arrow !== '""' && arrow !== "none") problems.push(`the style menu's arrow is text: ${arrow}`)
  }
  return problems
}"""

# Puts the cursor in (or selects) the first node of a type.
SELECT = """(type) => {
  const editor = window.hanjiEditor
  let at = null
  let text = null
  editor.state.doc.descendants((node, pos) => {
    if (at === null && node.type.name === type) at = pos
    else if (at !== null && text === null && node.isText) text = pos
  })
  if (editor.schema.nodes[type].isAtom) editor.chain().focus().setNodeSelection(at).run()
  else editor.chain().focus().setTextSelection(text + 1).run()
}"""


def unnamed_buttons(page) -> list[str]:
    """Lines of the toolbar's accessibility tree that are buttons without a name."""
    tree = page.locator(".prose-menubar").aria_snapshot()
    return [
        line
        for line in tree.splitlines()
        if line.strip().startswith("- button") and '"' not in line
    ]


def test_every_toolbar_button_shows_an_icon_or_a_word_and_has_a_name(
    studio_page, live_server, owner, publication, make_post, artifacts
):
    post = make_post(title="한지", publish=False)
    post.body = BODY
    post.save()
    page = studio_page("owner@example.com")
    elsewhere: list[str] = []  # no CDN, no web font: every request stays on this server
    page.on(
        "request",
        lambda r: r.url.startswith((live_server.url, "data:")) or elsewhere.append(r.url),
    )
    page.goto(f"{live_server.url}/studio/p/{publication.slug}/posts/{post.pk}/")
    page.wait_for_selector(".prose-editor [contenteditable=true]")
    menu = page.locator(".prose-menubar__selected")

    states = {
        "paragraph": "Text style: Paragraph",
        "heading": "Text style: Heading 2",
        "tableCell": "Text style: Paragraph",
        "paywall": "Text style",  # blocks with no text style: a word, not "?"
        "hanjiImage": "Text style",
    }
    for node, menu_name in states.items():
        page.evaluate(SELECT, node)
        expect(menu).to_have_accessible_name(menu_name)
        if node == "tableCell":  # the table's own buttons show too
            expect(page.locator(".prose-menubar [data-name=table\\:addRowAfter]")).to_be_visible()
        assert page.evaluate(PROBLEMS) == [], node
        assert unnamed_buttons(page) == [], node
        page.screenshot(path=str(artifacts / f"editor-toolbar-{node}.png"))
    assert menu.inner_text() == "Text style"
    expect(page.locator(".prose-menubar button[data-name=bold]")).to_have_accessible_name("Bold")

    # The style menu works from the keyboard: open it, pick a style, the paragraph changes.
    page.evaluate(SELECT, "paragraph")
    menu.focus()
    page.keyboard.press("Enter")
    choices = page.locator(".prose-menubar__picker")
    expect(choices).to_be_visible()
    for name in ("Heading 2", "Heading 3", "Heading 4", "Paragraph", "Code block"):
        expect(choices.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(choices.get_by_role("button", name="Heading 2", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(choices).to_be_hidden()
    expect(menu).to_have_accessible_name("Text style: Heading 3")
    page.wait_for_function("document.querySelector('#id_body').value.includes('<h3>발을')")
    assert elsewhere == []
