"""Every integer a request carries (a path segment, ?page=, ?author=, a bulk action's ids)
is range-checked through one helper: a 20-digit number is a 404 or a 400, never a 500."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from hanji.core.params import MAX_ID, BadParameter, parse_ids, parse_int

pytestmark = pytest.mark.django_db

HUGE = "9" * 20
JUST_OVER = str(MAX_ID + 1)


def _routes(patterns=None, prefix: str = "") -> list[str]:
    """Every route of the URL conf, as its text with `<converter:name>` placeholders."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if route.startswith("^"):  # a regex route (media files): no integers in it
            continue
        if isinstance(entry, URLResolver):
            found += _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            found.append(prefix + route)
    return found


NUMBERED = sorted({r for r in _routes() if re.search(r"<int:", r)})


def _fill(route: str, number: str) -> str:
    def value(match: re.Match) -> str:
        kind = match.group(1)
        return number if kind == "int" else "weekly" if kind == "slug" else "x"

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: value(m) if m.group(1) else "x", route)


def test_the_url_conf_has_numbered_routes_to_try():
    assert len(NUMBERED) > 20


@pytest.mark.parametrize("route", NUMBERED)
@pytest.mark.parametrize("number", [HUGE, JUST_OVER])
def test_a_huge_number_in_any_path_is_not_a_server_error(client, owner, route, number):
    url = _fill(route, number)
    client.force_login(owner)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code in (302, 400, 403, 404, 405), (url, response.status_code)


@pytest.fixture
def signed_in(client, owner, make_post, author):
    make_post(title="하나")
    client.force_login(owner)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


QUERIES = [
    "/?page={n}",
    "/archive/?page={n}",
    "/?page=-1",
    "/?page=abc",
    "/studio/p/weekly/posts/?page={n}",
    "/studio/p/weekly/posts/?author={n}",
    "/studio/p/weekly/posts/?author=abc",
    "/studio/p/weekly/posts/?page=0",
    "/studio/p/weekly/subscribers/?before_id={n}",
    "/studio/p/weekly/settings/newsletters/?edit={n}",
]


@pytest.mark.parametrize("template", QUERIES)
def test_a_huge_number_in_a_query_is_not_a_server_error(signed_in, template):
    response = signed_in.get(template.format(n=HUGE))
    assert response.status_code in (200, 400, 404), (template, response.status_code)


FORMS = [
    ("/studio/p/weekly/posts/", {"action": "delete", "ids": [HUGE, "1"]}),
    ("/studio/p/weekly/posts/", {"action": "publish", "ids": ["1", "x"]}),
    ("/studio/p/weekly/settings/team/", {"action": "role", "member": HUGE, "role": "editor"}),
    ("/studio/p/weekly/settings/team/", {"action": "remove", "member": HUGE}),
    ("/studio/p/weekly/settings/team/", {"action": "revoke", "invitation": HUGE}),
    ("/studio/p/weekly/settings/domains/", {"action": "remove", "domain": HUGE}),
    ("/studio/p/weekly/settings/newsletters/", {"newsletter": HUGE, "name": "n"}),
    ("/studio/p/weekly/subscribers/segments/", {"action": "delete", "segment": HUGE}),
    ("/studio/p/weekly/subscribers/segments/", {"name": "s", "newsletter": HUGE}),
    ("/studio/account/", {"action": "end-session", "session": HUGE}),
]


@pytest.mark.parametrize("url,data", FORMS, ids=[f"{u}:{d}" for u, d in FORMS])
def test_a_huge_id_in_a_form_is_a_400_or_a_refusal_never_a_500(signed_in, url, data):
    response = signed_in.post(url, data)
    assert response.status_code in (200, 302, 400, 404), (url, response.status_code)


def test_a_bulk_action_with_a_bad_id_changes_nothing(signed_in, publication):
    from hanji.posts.models import Post

    before = Post.objects.count()
    response = signed_in.post("/studio/p/weekly/posts/", {"action": "delete", "ids": [HUGE]})
    assert response.status_code == 400
    assert Post.objects.count() == before


def test_a_comment_reply_to_a_huge_parent_is_not_a_server_error(client, make_post):
    post = make_post(title="댓글")
    response = client.post(f"/engagement/{post.pk}/comments/", {"body": "hi", "parent": HUGE})
    assert response.status_code != 500


@pytest.mark.parametrize(
    "value,expected",
    [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID), (7, 7)],
)
def test_parse_int_reads_whole_numbers_in_range(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    "value", [None, "", "0", "-1", "+1", "1.0", "1e3", "abc", "١٢", "²", HUGE, JUST_OVER, "0x10"]
)
def test_parse_int_refuses_everything_else_with_a_400(value):
    with pytest.raises(BadParameter):
        parse_int(value)
    assert parse_int(value, default=None) is None


def test_parse_ids_refuses_the_whole_list_when_one_is_bad():
    assert parse_ids(["1", "2"]) == [1, 2]
    with pytest.raises(BadParameter):
        parse_ids(["1", HUGE])
