"""Members-only blocks in the body: written in Markdown, kept through the sanitizer, and cut
for readers they do not name (nested, unclosed or stray lines included)."""

from __future__ import annotations

from hanji.posts.body import (
    block_errors,
    filter_blocks,
    make_excerpt,
    markdown_to_html,
    sanitize,
    strip_blocks,
)


def test_block_lines_become_blocks_even_without_blank_lines_around_them():
    html = markdown_to_html("위\n{members}\n비밀번호 1234\n{/members}\n아래")
    assert '<div data-hanji="members">\n<p>비밀번호 1234</p>\n</div>' in html
    assert strip_blocks(html) == "<p>위</p>\n\n<p>아래</p>\n"


def test_a_tier_block_names_its_tier_and_a_bad_slug_is_not_a_block():
    html = markdown_to_html("{tier:gold}\n골드\n{/tier}")
    assert '<div data-hanji="tier" data-tier="gold">' in html
    assert "data-tier" not in sanitize('<div data-hanji="tier" data-tier="x&quot;y">a</div>')


def test_lines_inside_a_code_fence_are_text():
    html = markdown_to_html("```\n{members}\n```")
    assert "data-hanji" not in html and "{members}" in html


def test_nested_blocks_are_cut_with_their_parent():
    html = markdown_to_html("{subscribers}\nA\n{members}\nB\n{/members}\nC\n{/subscribers}")
    only_subscribers = filter_blocks(html, lambda kind, tier: kind == "subscribers")
    assert "A" in only_subscribers and "C" in only_subscribers and "B" not in only_subscribers
    only_members = filter_blocks(html, lambda kind, tier: kind == "members")
    assert "A" not in only_members and "B" not in only_members


def test_an_unclosed_block_hides_everything_after_it():
    html = markdown_to_html("공개\n\n{members}\n비밀\n\n또 비밀")
    assert "비밀" not in strip_blocks(html) and "공개" in strip_blocks(html)
    assert block_errors("공개\n\n{members}\n비밀") == ["line 3: {members} is never closed"]


def test_a_stray_close_is_reported_and_changes_nothing_visible():
    assert block_errors("a\n{/tier}\nb") == ["line 2: {/tier} closes no open block"]
    assert block_errors("{tier}\nx\n{/tier}")[0].startswith("line 1: {tier} needs a tier")
    html = markdown_to_html("a\n\n{/members}\n\nb")
    assert "a" in strip_blocks(html) and "b" in strip_blocks(html)


def test_the_excerpt_never_holds_a_block():
    html = markdown_to_html("{members}\n채팅방 비밀번호 1234\n{/members}\n\n공개 소개")
    assert make_excerpt(html) == "공개 소개"


def test_a_paywall_inside_a_block_never_opens_the_paid_part():
    from hanji.memberships.access import ANONYMOUS, body_for
    from hanji.posts.models import Post, Visibility

    html = markdown_to_html("공개\n\n{members}\n{paywall}\n{/members}\n\n유료 본문")
    post = Post(body=html, visibility=Visibility.PAID, publication_id=1)
    body, cut = body_for(ANONYMOUS, post, whole=False)
    assert cut and "유료 본문" not in body and "공개" in body
