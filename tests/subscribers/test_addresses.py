"""Email normalization: examples, and properties over arbitrary text (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from hanji.subscribers import addresses
from hanji.subscribers.addresses import InvalidEmail, display_email, normalize_email


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Kim.Hanji@EXAMPLE.com ", "kim.hanji@example.com"),  # one mailbox, one row
        ("reader@Example.COM.", "reader@example.com"),
        ("user@한국.kr", "user@xn--3e0b707e.kr"),  # stored as punycode
        ("user@BÜCHER.de", "user@xn--bcher-kva.de"),
        ("ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", "user@example.com"),  # full-width input method
        ("first+tag@sub.example.co.kr", "first+tag@sub.example.co.kr"),
        ("u@пример.рф", "u@xn--e1afmkfd.xn--p1ai"),
    ],
)
def test_addresses_are_stored_in_one_canonical_form(raw, stored):
    assert normalize_email(raw) == stored


def test_internationalized_domains_are_shown_in_unicode():
    assert display_email("user@xn--3e0b707e.kr") == "user@한국.kr"
    assert display_email("plain@example.com") == "plain@example.com"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("a@b.c\r\nBcc: x@y.z", "line breaks"),
        ("a@example.com\n", None),  # a trailing newline is only white space: trimmed
        ("no-at-sign.example.com", "@"),
        ("user@", "no domain"),
        ("@example.com", "nothing before"),
        ("two@@example.com", "more than one"),
        ("with space@example.com", "spaces"),
        ("user@localhost", "dot"),
        ("user@[127.0.0.1]", "IP"),
        ("x" * 65 + "@example.com", "too long"),
        ("a@" + "b" * 250 + ".com", "too long"),
        ("user@exаmple.com", "look-alike"),  # Cyrillic а among Latin letters
        ("user@аррӏе.com", "imitate"),  # all-Cyrillic "apple"
        ("usér@example.com", "Latin letters"),
        ("zero\u200bwidth@example.com", "invisible"),
        ("a..b@example.com", "dot"),
        ("user@-example.com", "hyphens"),
        ("user@example..com", "empty part"),
    ],
)
def test_hostile_or_broken_addresses_are_refused_with_a_clear_message(raw, words):
    if words is None:
        assert normalize_email(raw) == "a@example.com"
        return
    with pytest.raises(InvalidEmail) as caught:
        normalize_email(raw)
    assert words.lower() in str(caught.value).lower()


def test_a_name_never_keeps_a_line_break():
    assert addresses.clean_name("Eve\r\nBcc: x@y.z") == "Eve Bcc: x@y.z"
    assert addresses.clean_name("  김  한지 ") == "김 한지"


# --- properties ----------------------------------------------------------------------------

local_parts = st.from_regex(r"\A[A-Za-z0-9._%+=-]{1,20}\Z")
labels = st.from_regex(r"\A[a-zA-Z0-9가-힣-]{1,12}\Z")
domains = st.lists(labels, min_size=1, max_size=3).map(".".join).map(lambda d: d + ".com")
candidates = st.one_of(
    st.text(max_size=80),
    st.builds(lambda local, dom: f"{local}@{dom}", local_parts, domains),
    st.builds(
        lambda local, dom, ws: f"{ws}{local}@{dom}{ws}",
        local_parts,
        domains,
        st.sampled_from([" ", "\t", "\u3000"]),
    ),
)


def check_stored(stored: str) -> None:
    assert normalize_email(stored) == stored
    assert stored.isascii()
    assert len(stored) <= 254
    assert not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in stored)
    local, domain = stored.split("@")
    assert domain == domain.lower()
    assert normalize_email(display_email(stored)) == stored


# Addresses that are valid by construction: no dot or hyphen at an edge, none doubled.
good_locals = st.from_regex(r"\A[A-Za-z0-9%+=_]([A-Za-z0-9._%+=-]{0,18}[A-Za-z0-9%+=_])?\Z").filter(
    lambda local: ".." not in local
)
good_labels = st.from_regex(
    r"\A[a-zA-Z0-9가-힣]([a-zA-Z0-9가-힣-]{0,10}[a-zA-Z0-9가-힣])?\Z"
).filter(lambda label: "--" not in label)
good_domains = st.lists(good_labels, min_size=1, max_size=3).map(".".join).map(lambda d: d + ".com")
good_addresses = st.builds(
    lambda ws, local, dom: f"{ws}{local}@{dom}{ws}",
    st.sampled_from(["", " ", "\t", "\u3000"]),
    good_locals,
    good_domains,
)


@given(good_addresses)
@example("A@EXAMPLE.COM")
@example("kim@한지.com")
def test_a_valid_address_is_accepted_in_one_safe_ascii_form(raw):
    check_stored(normalize_email(raw))  # never refused: InvalidEmail fails the test


@given(candidates)
@example("a@b.c\r\nBcc: x@y.z")
@example("A@EXAMPLE.COM")
def test_any_text_is_refused_with_a_reason_or_stored_safely(raw):
    try:
        stored = normalize_email(raw)
    except InvalidEmail as error:
        assert str(error)  # every refusal says why
    else:
        check_stored(stored)


@given(st.builds(lambda local, dom: f"{local}@{dom}", local_parts, domains))
def test_the_fast_path_agrees_with_the_full_rules(raw):
    fast = addresses.FAST_RE.match(raw.strip())
    assume(fast is not None)
    # Disable the fast path and compare with the full rules.
    original = addresses.FAST_RE
    try:
        addresses.FAST_RE = __import__("re").compile(r"(?!x)x")
        try:
            slow = normalize_email(raw)
        except InvalidEmail:
            slow = None
    finally:
        addresses.FAST_RE = original
    assert normalize_email(raw) == slow


@given(local_parts, domains)
def test_one_mailbox_typed_in_any_case_is_one_address(local, domain):
    try:
        lower = normalize_email(f"{local.lower()}@{domain.lower()}")
    except InvalidEmail:
        return
    assert normalize_email(f"{local.upper()}@{domain.upper()}") == lower
    assert lower.split("@")[0] == local.lower()
