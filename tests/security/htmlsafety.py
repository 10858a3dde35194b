"""Find what could run in an HTML page, parsed as a browser parses it (html5lib: the WHATWG
algorithm, svg and math included), instead of matching strings.

`active_markup(html)` lists every element or attribute that could execute script or load a
foreign document: a script that is not one of Hanji's own files or data blocks, an event
handler attribute, a javascript:/vbscript:/data: URL where a browser would follow it, a frame
that is not an allowed embed, a plugin, a <base>, a refresh, a <style> outside <head>.
"""

from __future__ import annotations

import json
import re

import html5lib

from hanji.posts.body import EMBED_SOURCES

URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "xlink:href",
    "codebase",
    "cite",
    "ping",
    "lowsrc",
    "dynsrc",
}
NEVER = {"object", "embed", "applet", "base", "frame", "frameset", "portal", "svg", "math"}
OWN_FRAMES = ("/studio/p/",)  # the studio's previews frame its own pages
DATA_BLOCKS = {"application/ld+json", "application/json"}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _dangerous_url(value: str, tag: str) -> bool:
    url = _INVISIBLE.sub("", value).lower()
    if url.startswith(("javascript:", "vbscript:", "livescript:")):
        return True
    return url.startswith("data:") and not (
        tag in ("img", "source") and url.startswith("data:image/")
    )


def _script_problem(element, in_head: bool) -> str | None:
    kind = (element.get("type") or "").strip().lower()
    src = element.get("src")
    if src is not None:
        return None if src.startswith("/static/") and kind in ("", "module") else f"script {src}"
    text = element.text or ""
    if kind in DATA_BLOCKS:
        try:
            json.loads(text)
        except ValueError:
            return f"a {kind} block that is not JSON: {text[:80]!r}"
        return None
    if kind == "importmap" and in_head and element.get("nonce"):
        return None
    return f"inline script {text[:80]!r}"


def active_markup(document: str, *, fragment: bool = False) -> list[str]:
    """Everything in `document` that could run or load what Hanji did not put there."""
    parse = html5lib.parseFragment if fragment else html5lib.parse
    root = parse(document, treebuilder="etree", namespaceHTMLElements=False)
    found: list[str] = []
    _walk(root, found, in_head=False)
    return found


def _walk(element, found: list[str], in_head: bool) -> None:
    for child in element:
        if not isinstance(child.tag, str):  # a comment or a processing instruction
            continue
        tag = _local(child.tag)
        found += _problems(child, tag, in_head)
        _walk(child, found, in_head or tag == "head")


def _problems(element, tag: str, in_head: bool) -> list[str]:
    problems = []
    if tag in NEVER:
        problems.append(f"<{tag}>")
    if tag == "script" and (problem := _script_problem(element, in_head)):
        problems.append(problem)
    if tag == "style" and not in_head:
        problems.append("<style> in the body")
    if tag in ("iframe", "frame"):
        src = element.get("src") or ""
        allowed = any(p.match(src) for p in EMBED_SOURCES) or src.startswith(OWN_FRAMES)
        if element.get("srcdoc") is not None or not allowed:
            problems.append(f"<iframe src={src!r}>")
    if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
        problems.append("<meta http-equiv=refresh>")
    for raw_name, value in element.attrib.items():
        name = _local(raw_name) if not raw_name.endswith("}href") else "xlink:href"
        if name.startswith("on"):
            problems.append(f"<{tag} {name}=…>")
        elif name in URL_ATTRIBUTES and _dangerous_url(value or "", tag):
            problems.append(f"<{tag} {name}={value[:60]!r}>")
        elif name == "srcset" and "javascript:" in _INVISIBLE.sub("", value or "").lower():
            problems.append(f"<{tag} srcset>")
    return problems


def text_of(document: str) -> str:
    root = html5lib.parse(document, treebuilder="etree", namespaceHTMLElements=False)
    return " ".join("".join(root.itertext()).split())
