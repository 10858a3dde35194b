"""<style> inside <math>/<svg> (and other tags that make a parser swallow the rest) never
costs the rest of the body; nothing active survives either."""

from __future__ import annotations

import itertools

import pytest

from hanji.posts.body import sanitize

OPENS = ["", "<math>", "<svg>", "<math><mtext>", "<svg><foreignObject>", "<MATH >"]
MIDDLES = [
    "<style>",
    "<style>x</style>",
    "<style><!--",
    "<title>",
    "<script>",
    "<textarea>",
    "<xmp>",
    "<iframe>",
    "<noembed>",
    "<template>",
    "<!--",
    "<plaintext>",
    "<sty<style>le>",
]
RESTS = ["<p>REST</p>", "REST", '<a href="/x">REST</a>', "<h2>REST</h2>"]


@pytest.mark.parametrize("opener,middle,rest", list(itertools.product(OPENS, MIDDLES, RESTS)))
def test_the_rest_of_the_body_survives(opener, middle, rest):
    clean = sanitize(f"<p>before</p>{opener}{middle}{rest}<p>after</p>")
    assert "REST" in clean and "after" in clean and "before" in clean
    assert "<script" not in clean.lower() and "<style" not in clean.lower()


def test_a_closed_style_block_still_goes_with_its_content():
    assert sanitize("<p>a</p><math><style>p{color:red}</style></math><p>b</p>") == (
        "<p>a</p><p>b</p>"
    )
