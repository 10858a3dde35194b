"""Reading a Markdown file with YAML front matter into the fields of a post.

    ---
    title: 주간 소식            (required)
    subtitle: …
    category: 스타트업
    tags: [AI, 투자]           (or "AI, 투자")
    visibility: public         (public, subscribers or paid)
    slug: weekly-news
    author: 서하늘              (the name or slug of an author of the publication)
    date: 2025-03-03 07:00     (or published_at; without a time zone: the publication's)
    excerpt: …
    ---
    The body, in Markdown.

Every mistake is reported as one FrontMatterError naming the file, the line and the field,
before anything is written. The YAML is only composed (never constructed), so no value is
turned into a date or a number behind our back and every key keeps its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.utils.translation import gettext as _

from hanji.posts.models import Visibility

FIELDS = {
    "title",
    "subtitle",
    "category",
    "tags",
    "visibility",
    "slug",
    "author",
    "date",
    "published_at",
    "excerpt",
}
LIMITS = {"title": 300, "subtitle": 500, "category": 100, "slug": 200, "excerpt": 500}
FIRST_YAML_LINE = 2  # the line after the opening '---'
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")


class FrontMatterError(ValueError):
    def __init__(self, path: str, line: int, field_name: str, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field_name, message
        where = f"{path}:{line}: {field_name}" if line else path
        super().__init__(f"{where}: {message}")


@dataclass
class PostSource:
    title: str
    body_markdown: str
    subtitle: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    visibility: str = Visibility.PUBLIC
    slug: str = ""
    author: str = ""
    excerpt: str = ""
    published_at: datetime | None = None
    author_line: int = 0  # where `author` was given, for the error when it names nobody


def read_post_file(path: Path, time_zone: str = "Asia/Seoul") -> PostSource:
    shown = str(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FrontMatterError(shown, 0, _("file"), error.strerror or str(error)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FrontMatterError(shown, line, _("file"), _("not UTF-8 text")) from None
    return parse_post(text, shown, time_zone)


def parse_post(text: str, path: str = "<post>", time_zone: str = "Asia/Seoul") -> PostSource:
    lines = text.replace("\r\n", "\n").split("\n")
    front = _("front matter")
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(path, 1, front, _("the file must start with a line '---'"))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise FrontMatterError(path, 1, front, _("no closing line '---'")) from None
    yaml_text = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :]).strip("\n")
    values = _compose(yaml_text, path, offset=FIRST_YAML_LINE)
    return _post_source(values, body, path, time_zone, first_line=1)


def _compose(yaml_text: str, path: str, offset: int) -> dict[str, tuple[int, yaml.Node]]:
    """{key: (line in the file, node)}; YAML line numbers are 0-based from `offset`."""
    try:
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        # The context mark is where the broken construct began (the field's line); the
        # problem mark is often the line after it.
        mark = error.context_mark or error.problem_mark
        line = (mark.line + offset) if mark else offset
        source_line = yaml_text.split("\n")[line - offset] if mark else ""
        key = re.match(r"\s*([A-Za-z_][\w-]*)\s*:", source_line)
        raise FrontMatterError(
            path,
            line,
            key.group(1) if key else _("front matter"),
            _("not valid YAML (%(problem)s)") % {"problem": error.problem or error.context},
        ) from None
    except yaml.YAMLError as error:
        raise FrontMatterError(path, offset, _("front matter"), str(error)) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise FrontMatterError(
            path,
            node.start_mark.line + offset,
            _("front matter"),
            _("must be 'field: value' lines"),
        )
    values: dict[str, tuple[int, yaml.Node]] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + offset
        key = str(key_node.value).strip()
        if not isinstance(key_node, yaml.ScalarNode) or key not in FIELDS:
            raise FrontMatterError(
                path,
                line,
                key,
                _("unknown field; the fields are %(fields)s")
                % {"fields": ", ".join(sorted(FIELDS))},
            )
        if key in values:
            raise FrontMatterError(path, line, key, _("given twice"))
        values[key] = (line, value_node)
    return values


def _text(path: str, key: str, line: int, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise FrontMatterError(path, line, key, _("must be text, not a list or a mapping"))
    value = (
        ""
        if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null")
        else node.value
    )
    value = str(value).strip()
    if key in LIMITS and len(value) > LIMITS[key]:
        raise FrontMatterError(
            path, line, key, _("too long (at most %(limit)s characters)") % {"limit": LIMITS[key]}
        )
    return value


def _tags(path: str, line: int, node: yaml.Node) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        items = [part.strip() for part in str(node.value).split(",")]
    elif isinstance(node, yaml.SequenceNode):
        items = [
            _text(path, "tags", item.start_mark.line + FIRST_YAML_LINE, item) for item in node.value
        ]
    else:
        raise FrontMatterError(path, line, "tags", _("must be a list like [AI, 투자]"))
    tags = [item for item in items if item]
    too_long = next((tag for tag in tags if len(tag) > 100), None)
    if too_long:
        raise FrontMatterError(path, line, "tags", _("a tag is longer than 100 characters"))
    return list(dict.fromkeys(tags))


def _when(path: str, key: str, line: int, node: yaml.Node, time_zone: str) -> datetime:
    value = _text(path, key, line, node)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time(0, 0))
        except ValueError:
            raise FrontMatterError(
                path,
                line,
                key,
                _("%(value)s is not a date; write 2025-03-03 or 2025-03-03 07:00")
                % {"value": repr(value)},
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(time_zone))
    return parsed


def _post_source(values, body: str, path: str, time_zone: str, first_line: int) -> PostSource:
    def text(key: str) -> str:
        if key not in values:
            return ""
        line, node = values[key]
        return _text(path, key, line, node)

    title = text("title")
    if not title:
        line = values["title"][0] if "title" in values else first_line
        raise FrontMatterError(path, line, "title", _("missing; every post needs a title"))
    visibility = text("visibility").lower() or Visibility.PUBLIC
    if visibility not in Visibility.values:
        raise FrontMatterError(
            path,
            values["visibility"][0],
            "visibility",
            _("%(value)s is not one of %(choices)s")
            % {"value": repr(visibility), "choices": ", ".join(Visibility.values)},
        )
    if "date" in values and "published_at" in values:
        raise FrontMatterError(
            path, values["published_at"][0], "published_at", _("give either date or published_at")
        )
    published_at = None
    for key in ("date", "published_at"):
        if key in values:
            published_at = _when(path, key, *values[key], time_zone)
    return PostSource(
        title=title,
        body_markdown=body,
        subtitle=text("subtitle"),
        category=text("category"),
        tags=_tags(path, *values["tags"]) if "tags" in values else [],
        visibility=visibility,
        slug=text("slug"),
        author=text("author"),
        excerpt=text("excerpt"),
        published_at=published_at,
        author_line=values["author"][0] if "author" in values else 0,
    )
