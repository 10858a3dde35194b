"""Email addresses as Hanji stores them: one canonical form per mailbox, or a clear refusal.

The canonical form (see docs/decisions.md, "Subscribers: email addresses"):
- surrounding white space trimmed; full-width forms typed with a Korean or Japanese input
  method (ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ) folded to ASCII by NFKC;
- the local part lower-cased (RFC 5321 lets a server tell `Kim@` from `kim@`, but the
  mailbox providers our readers use do not, and two rows for one mailbox would mean two
  copies of every newsletter) and limited to ASCII, because non-ASCII local parts need
  SMTPUTF8 end to end and are the usual vehicle for look-alike tricks;
- the domain lower-cased and stored in its ASCII (punycode, "xn--") form, so every transport
  and every header can carry it; `display_email` shows the Unicode form to people.
"""

from __future__ import annotations

import re
import unicodedata

import idna
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254  # RFC 5321: the longest path a server must accept, less the brackets
MAX_LOCAL = 64
# RFC 5322 dot-atom characters for the local part.
LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Letters of other scripts that look like Latin ones; a label made only of them passes for a
# Latin name (аррӏе.com is Cyrillic).
LATIN_LOOKALIKES = set("аеорсухіјѕԁӏһԛԝοαικνρτυ")


# The common case (plain ASCII, no punycode) checked by one expression: an import calls
# normalize_email a million times. It accepts exactly what the full path accepts for these
# inputs (a property test compares the two).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
FAST_RE = re.compile(
    rf"^({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?)\.?$"
)


class InvalidEmail(ValueError):
    """Carries a message fit to show the person who typed the address."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _script(char: str) -> str:
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "UNKNOWN"
    return name.split(" ", 1)[0]


def _check_label_scripts(label: str, tld_is_ascii: bool) -> None:
    letters = [c for c in label if c.isalpha()]
    scripts = {_script(c) for c in letters if ord(c) > 127} | (
        {"LATIN"} if any(c.isascii() for c in letters) else set()
    )
    confusable = {"LATIN", "CYRILLIC", "GREEK"}
    if len(scripts & confusable) > 1:
        raise InvalidEmail(
            _("The domain mixes Latin letters with look-alike letters of another alphabet.")
        )
    if tld_is_ascii and letters and all(c in LATIN_LOOKALIKES for c in letters):
        raise InvalidEmail(_("The domain is spelled with letters that imitate Latin ones."))


def _normalize_domain(domain: str) -> str:
    domain = domain.rstrip(".").lower()
    if not domain:
        raise InvalidEmail(_("The address has no domain after the @ (like example.com)."))
    if domain.startswith("[") or domain.replace(".", "").isdigit():
        raise InvalidEmail(_("Addresses at an IP address are not accepted; use a domain."))
    if "." not in domain:
        raise InvalidEmail(_("The domain needs a dot, like example.com."))
    labels = domain.split(".")
    if any(not label for label in labels):
        raise InvalidEmail(_("The domain has an empty part (two dots in a row)."))
    tld_is_ascii = labels[-1].isascii()
    if not domain.isascii():
        for label in labels:
            if not label.isascii():
                _check_label_scripts(label, tld_is_ascii)
        try:
            domain = idna.encode(domain, uts46=True).decode("ascii")
        except idna.IDNAError as error:
            raise InvalidEmail(_("The domain is not a valid internationalized name.")) from error
    if len(domain) > 253:
        raise InvalidEmail(_("The domain is too long."))
    for label in domain.split("."):
        if len(label) > 63:
            raise InvalidEmail(_("A part of the domain is too long (63 characters at most)."))
        if label.startswith("xn--"):
            try:
                unicode_label = idna.decode(label)
            except idna.IDNAError as error:
                raise InvalidEmail(
                    _("The domain is not a valid internationalized name.")
                ) from error
            _check_label_scripts(unicode_label, tld_is_ascii)
        if not LABEL_RE.match(label):
            raise InvalidEmail(_("The domain may hold only letters, digits, dots and hyphens."))
    if len(domain) > 253:
        raise InvalidEmail(_("The domain is too long."))
    if domain.split(".")[-1].isdigit():
        raise InvalidEmail(_("The domain ends in a number; it needs a real top-level domain."))
    return domain


def normalize_email(raw: str) -> str:
    """The canonical form of `raw`, or InvalidEmail with a message for the person."""
    if not isinstance(raw, str):
        raise InvalidEmail(_("Enter an email address."))
    value = raw.strip()
    fast = FAST_RE.match(value)
    if fast:
        local, domain = fast.groups()
        local, domain = local.lower(), domain.lower()
        if len(local) <= MAX_LOCAL and len(domain) <= 253 and "xn--" not in domain:
            address = f"{local}@{domain}"
            if len(address) <= MAX_LENGTH:
                return address
    if not value:
        raise InvalidEmail(_("Enter an email address."))
    if len(value) > 4 * MAX_LENGTH:
        raise InvalidEmail(_("The address is too long."))
    # Line breaks and other control characters are how header injection starts
    # ("a@b.c\r\nBcc: …"); invisible format characters hide look-alikes.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise InvalidEmail(_("The address contains line breaks or invisible characters."))
    value = unicodedata.normalize("NFKC", value)
    if any(c.isspace() for c in value):
        raise InvalidEmail(_("An email address cannot contain spaces."))
    if value.count("@") != 1:
        if "@" not in value:
            raise InvalidEmail(_("The address needs an @ followed by a domain."))
        raise InvalidEmail(_("The address has more than one @."))
    local, domain = value.split("@")
    if not local:
        raise InvalidEmail(_("The address has nothing before the @."))
    if not local.isascii():
        raise InvalidEmail(
            _("The part before the @ may hold only Latin letters, digits and . _ + - characters.")
        )
    if len(local) > MAX_LOCAL:
        raise InvalidEmail(_("The part before the @ is too long (64 characters at most)."))
    if not LOCAL_RE.match(local):
        raise InvalidEmail(
            _("The part before the @ has a character or a dot in a place addresses do not allow.")
        )
    address = f"{local.lower()}@{_normalize_domain(domain)}"
    if len(address) > MAX_LENGTH:
        raise InvalidEmail(_("The address is too long."))
    return address


def is_valid_email(raw: str) -> bool:
    try:
        normalize_email(raw)
    except InvalidEmail:
        return False
    return True


def display_email(stored: str) -> str:
    """The stored address with its domain in Unicode, for people to read."""
    local, _sep, domain = stored.rpartition("@")
    if "xn--" not in domain:
        return stored
    try:
        return f"{local}@{idna.decode(domain)}"
    except idna.IDNAError:
        return stored


def clean_name(raw: str, max_length: int = 200) -> str:
    """A display name with no line breaks or control characters (it may reach a header)."""
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in raw or ""
    )
    return " ".join(text.split())[:max_length]
