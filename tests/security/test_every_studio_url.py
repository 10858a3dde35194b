"""Every studio URL, read off the URL conf, asked for by everyone who may not use it.

Each pattern under /studio/ and /engagement/studio/ is filled in with the ids of publication
A's things and requested (GET and POST) as a stranger, a signed-in reader, each staff role and
the owner of publication B (under A's address and under B's own, with A's ids). Nobody who
may not gets a 200; nobody ever gets a 500; B never sees A's data, and A's rows are exactly
as they were. Who may use a URL comes from the view itself (`publication_view(capability)`)
or, for the few that are not a publication's, from WHO below; a URL added later that this
file cannot fill in or place fails `test_every_studio_url_can_be_filled_in`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from hanji.memberships.models import Tier
from hanji.publications.models import Domain, Publication, Role, TeamMember
from hanji.publications.queries import ROLE_RANK
from hanji.studio.queries import CAPABILITIES
from hanji.subscribers.models import Import, Newsletter, Segment, Subscriber, Subscription

PREFIXES = ("studio/", "engagement/studio/")
RANK = {name: ROLE_RANK[Role(name)] for name in ("author", "editor", "admin", "owner")}
STAFF = ("author", "editor", "admin", "owner")

# Who may use each URL, with A's things in it. A new URL fails the tests until it is here.
#   anyone     the sign-in pages, sign-up, an invitation (its token is the check)
#   signed_in  any studio account
#   superuser  the instance's own outbox
#   <role>     that role of publication A and the roles above it
WHO = {
    "studio:login": "anyone",
    "studio:login_code": "anyone",
    "studio:login_link": "anyone",
    "studio:login_link_use": "anyone",
    "studio:logout": "anyone",
    "studio:signup": "anyone",
    "studio:invitation": "anyone",
    "studio:dashboard": "signed_in",
    "studio:account": "signed_in",
    "studio:publication_new": "signed_in",
    "studio:instance_outbox": "superuser",
    "studio:instance_outbox_message": "superuser",
    "studio:instance_outbox_message_html": "superuser",
    "studio:instance_outbox_message_raw": "superuser",
    # checks its size limit before its role (see editing.upload_image), then "write"
    "studio:upload_image": "author",
    "engagement:moderation": "editor",
    "engagement:moderate": "editor",
    # one publication's views, as their own `publication_view(capability)` says (checked by
    # test_each_views_own_lock_is_what_this_table_says); with A's post in the URL, an
    # author is refused: the post is the owner's
    "studio:home": "author",
    "studio:posts": "author",
    "studio:post_new": "author",
    "studio:post_edit": "editor",
    "studio:post_autosave": "editor",
    "studio:post_delete": "editor",
    "studio:post_send": "editor",
    "studio:post_test": "editor",
    "studio:post_revisions": "editor",
    "studio:revision_restore": "editor",
    "studio:preview": "editor",
    "studio:preview_web": "editor",
    "studio:preview_email": "editor",
    "studio:card": "author",
    "studio:markdown": "author",
    "studio:recipients": "editor",
    "studio:sends": "editor",
    "studio:send_detail": "editor",
    "studio:send_progress": "editor",
    "studio:send_control": "editor",
    "studio:subscribers": "admin",
    "studio:subscriber_add": "admin",
    "studio:subscriber_export": "admin",
    "studio:segments": "admin",
    "studio:subscriber": "admin",
    "studio:import_start": "admin",
    "studio:import_map": "admin",
    "studio:import_detail": "admin",
    "studio:import_progress": "admin",
    "studio:import_rejections": "admin",
    "studio:outbox": "admin",
    "studio:outbox_message": "admin",
    "studio:outbox_message_html": "admin",
    "studio:outbox_message_raw": "admin",
    "studio:settings": "admin",
    "studio:newsletters": "admin",
    "studio:domains": "admin",
    "studio:team": "admin",
    "studio:danger": "owner",
    "studio:post_search": "author",
    "studio:post_analytics": "editor",
    "studio:analytics": "author",
    "studio:analytics_csv": "author",
    "studio:post_analytics_csv": "editor",
    "studio:post_links_csv": "editor",
    "studio:settings_business": "admin",
    "studio:settings_engagement": "admin",
    "studio:settings_sending": "admin",
    "memberships_studio:overview": "admin",
    "memberships_studio:members": "admin",
    "memberships_studio:export": "admin",
    "memberships_studio:comp": "admin",
    "memberships_studio:tiers": "admin",
    "memberships_studio:tier": "admin",
    "memberships_studio:billing": "owner",
    "memberships_studio:coupons": "admin",
}
# URL parameters that point at one of A's things: the name in the world, per parameter.
THINGS = {
    "post_id": "post",
    "revision_id": "revision",
    "send_id": "send",
    "subscriber_id": "subscriber",
    "import_id": "import",
    "pk": "message",
    "comment_id": "comment",
    "tier_id": "tier",
}
# The value of an `action` parameter: the most destructive one each view knows.
ACTIONS = {"studio:send_control": "cancel", "engagement:moderate": "delete"}
# Tables that change on every request whoever makes it (sign-in bookkeeping, workers).
VOLATILE = {"studio.StaffSession", "core.PeriodicJob", "core.WorkerProcess"}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]
    view: object


def _walk(patterns, prefix: str = "", namespace: str = "") -> list[Route]:
    found = []
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and route.startswith(PREFIXES):
            params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
            found.append(Route(f"{namespace}{entry.name}", route, params, entry.callback))
    return found


ROUTES = _walk(get_resolver().url_patterns)


def _lowest(route: Route) -> str:
    if route.name not in WHO:
        raise LookupError(f"{route.name}: say in WHO who may open it")
    return WHO[route.name]


def _declared(route: Route) -> str | None:
    """The lowest role the view's own lock lets in, for A's things in the URL."""
    capability = getattr(route.view, "hanji_capability", None)
    if capability is None:
        return None
    lowest = str(CAPABILITIES[capability])
    # The world's post is the owner's: an author reaches only their own posts.
    if "post_id" in route.params and RANK[lowest] < RANK["editor"]:
        lowest = "editor"
    return lowest


def _may(standing: str, lowest: str) -> bool:
    if lowest == "anyone":
        return True
    if lowest == "signed_in":
        return standing not in ("anonymous", "reader")
    if standing in ("anonymous", "reader", "outsider"):
        return False
    if lowest == "superuser":
        return False
    return RANK[standing] >= RANK[lowest]


def _kwargs(route: Route, world: dict, slug: str) -> dict:
    values = {}
    for param in route.params:
        if param == "slug":
            values[param] = slug
        elif param in THINGS:
            values[param] = world[THINGS[param]].pk
        elif param == "action":
            values[param] = ACTIONS[route.name]
        elif param == "name":
            values[param] = world["upload"]
        elif param == "publication_id":
            values[param] = world["publication"].pk
        elif param == "token":
            values[param] = "not-a-real-token"
        elif param == "table":
            values[param] = "subscribers"
        else:
            raise LookupError(f"{route.name}: no value for <{param}>")
    return values


def test_every_studio_url_can_be_filled_in():
    assert len(ROUTES) > 50
    names = {route.name for route in ROUTES}
    assert {"studio:post_edit", "engagement:moderate", "studio:danger"} <= names
    problems = []
    for route in ROUTES:
        try:
            _lowest(route)
            _kwargs(route, _FakeWorld(), "a")
        except (LookupError, KeyError) as problem:
            problems.append(str(problem))
    assert problems == []
    assert set(WHO) <= names, set(WHO) - names  # no stale entries


def test_each_views_own_lock_is_what_this_table_says():
    """A view whose `publication_view` capability is lowered fails here, not only below."""
    differ = {
        route.name: (_declared(route), WHO.get(route.name))
        for route in ROUTES
        if _declared(route) is not None and _declared(route) != WHO.get(route.name)
    }
    assert differ == {}


class _FakeWorld(dict):
    def __missing__(self, key):
        if key not in {*THINGS.values(), "upload", "publication"}:
            raise KeyError(f"the world has no {key}")
        return _Pk() if key != "upload" else "x.csv"


class _Pk:
    pk = 1


# --- the world ------------------------------------------------------------------------------------


SECRETS = {
    "post": "A의 비밀 글 제목",
    "draft": "A의 비밀 초안",
    "subscriber": "a-secret-reader@example.org",
    "segment": "A의 비밀 세그먼트",
    "import": "a-secret-list.csv",
    "upload": "a-secret-upload@example.org",
    "message": "A의 비밀 메일 제목",
    "comment": "A의 비밀 댓글",
    "domain": "a-secret.example.com",
}


@pytest.fixture
def world(publication, owner, make_post, tmp_path, settings):
    from hanji.engagement import actions as engagement
    from hanji.sending.actions import start_send_for_post
    from hanji.subscribers.uploads import imports_dir

    now = timezone.now()
    newsletter = Newsletter.objects.create(
        publication=publication, name="주간 레터", slug="weekly", sender_email="a@example.com"
    )
    subscriber = Subscriber.objects.create(
        publication=publication,
        email=SECRETS["subscriber"],
        name="독자",
        status="active",
        created_at=now,
        confirmed_at=now,
    )
    Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
    post = make_post(title=SECRETS["post"], body="본문입니다")
    post.created_by = owner
    post.save()
    make_post(title=SECRETS["draft"], body="초안", publish=False)
    csv = tmp_path / "list.csv"
    csv.write_text("email\nnew@example.org\n")
    upload = "0123456789abcdef0123456789abcdef.csv"
    (imports_dir(publication) / upload).write_text(f"email\n{SECRETS['upload']}\n")
    Domain.objects.create(publication=publication, host=SECRETS["domain"])
    return {
        "publication": publication,
        "post": post,
        "send": start_send_for_post(post, newsletter),
        "subscriber": subscriber,
        "segment": Segment.objects.create(
            publication=publication, name=SECRETS["segment"], statuses=["active"]
        ),
        "import": Import.objects.create(
            publication=publication, path=str(csv), filename=SECRETS["import"]
        ),
        "upload": upload,
        "revision": post.revisions.create(title="옛 제목", body="<p>옛 본문</p>", kind="save"),
        "message": _outbox_message(publication),
        "comment": engagement.post_comment(post, subscriber, SECRETS["comment"]),
        "tier": Tier.objects.create(
            publication=publication, name="골드", slug="gold", currency="KRW", monthly_price=9000
        ),
    }


def _outbox_message(publication):
    from django.core import mail
    from django.core.mail import EmailMultiAlternatives
    from django.test import override_settings

    from hanji.core.models import OutboxMessage

    email = EmailMultiAlternatives(SECRETS["message"], "확인", "a@example.com", ["r@example.org"])
    email.attach_alternative(f"<p>{SECRETS['message']}</p>", "text/html")
    email.publication_id = publication.pk
    with override_settings(MAILERS={"default": {"BACKEND": "hanji.core.outbox.OutboxBackend"}}):
        mail.mailers["default"].send_messages([email])
    return OutboxMessage.objects.latest("id")


@pytest.fixture
def people(django_user_model, publication, owner, editor, author_user):
    admin = django_user_model.objects.create_user("admin1", "admin1@example.com", "pw-secret-1")
    TeamMember.objects.create(publication=publication, user=admin, role=Role.ADMIN)
    b = Publication.objects.create(name="B Letter", slug="pub-b", language="en")
    b_owner = django_user_model.objects.create_user("b-owner", "b@example.com", "pw-secret-1")
    TeamMember.objects.create(publication=b, user=b_owner, role=Role.OWNER)
    return {
        "owner": owner,
        "admin": admin,
        "editor": editor,
        "author": author_user,
        "outsider": b_owner,
        "b": b,
    }


def _client(standing: str, people: dict, world: dict) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if standing == "reader":
        session = client.session
        session[f"hanji.reader.{world['publication'].pk}"] = world["subscriber"].pk
        session.save()
    elif standing != "anonymous":
        client.force_login(people[standing])
    return client


def _rows() -> dict[str, list[str]]:
    """Every row of every Hanji table (but the volatile ones), to compare before and after."""
    snapshot = {}
    for model in apps.get_models():
        label = model._meta.label
        if model.__module__.startswith("hanji.") and label not in VOLATILE:
            snapshot[label] = sorted(map(repr, model.objects.order_by("pk").values_list()))
    return snapshot


def _post_data(world: dict) -> dict:
    """A form that would do harm if it were obeyed: A's ids under every common field name."""
    ids = [world[t].pk for t in ("subscriber", "post", "segment", "comment")]
    return {
        "action": "delete",
        "ids": ids,
        "id": ids[0],
        "subscriber": ids[0],
        "post": ids[1],
        "domain": SECRETS["domain"],
        "host": "taken.example.com",
        "email": "intruder@example.org",
        "role": "owner",
        "title": "바뀐 제목",
        "body": "<p>바뀐 본문</p>",
        "name": "바뀐 이름",
        "confirm": world["publication"].slug,
        "slug": world["publication"].slug,
        "text": "x",
        "url": "https://example.com",
        "addresses": "intruder@example.org",
    }


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def _assert_refused(response, who: str, method: str, url: str) -> None:
    status = response.status_code
    if who in ("anonymous", "reader"):
        assert status in (302, 403, 404, 405), (who, method, url, status)
        if status == 302:
            assert "/login/" in response["Location"], (who, method, url, response["Location"])
    else:
        assert status in (403, 404, 405), (who, method, url, status)
    text = _body(response)
    leaked = [secret for secret in SECRETS.values() if secret in text]
    assert leaked == [], (who, method, url, leaked)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.name + ":" + r.route for r in ROUTES])
def test_nobody_who_may_not_gets_in_and_a_stays_as_it_was(route, world, people):
    lowest = _lowest(route)
    url = reverse(route.name, kwargs=_kwargs(route, world, world["publication"].slug))
    before = _rows()
    for standing in ("anonymous", "reader", *STAFF, "outsider"):
        client = _client(standing, people, world)
        if _may(standing, lowest):
            if standing == "outsider":  # a page of every account (the dashboard): not A's
                text = _body(client.get(url))
                assert [s for s in SECRETS.values() if s in text] == [], url
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url, _post_data(world) if method == "post" else {})
            _assert_refused(response, standing, method, url)
    assert _rows() == before, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [r for r in ROUTES if "slug" in r.params and set(r.params) & {*THINGS, "name"}],
    ids=lambda r: r.name,
)
def test_the_other_owner_under_their_own_address_finds_none_of_as_things(route, world, people):
    """B's owner may use the URL for B: with A's ids in it, it finds nothing of A's."""
    url = reverse(route.name, kwargs=_kwargs(route, world, people["b"].slug))
    before = _rows()
    client = _client("outsider", people, world)
    for method in ("get", "post"):
        response = getattr(client, method)(url, _post_data(world) if method == "post" else {})
        assert response.status_code in (302, 403, 404, 405), (method, url, response.status_code)
        text = _body(response)
        assert [s for s in SECRETS.values() if s in text] == [], (method, url)
    assert _rows() == before, url


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_those_who_may_use_a_url_never_meet_a_server_error(route, world, people):
    """The team member who may use it, with junk in the form: an answer, never a 500 (the
    test client raises the view's exception)."""
    lowest = _lowest(route)
    url = reverse(route.name, kwargs=_kwargs(route, world, world["publication"].slug))
    standing = next((s for s in ("anonymous", *STAFF) if _may(s, lowest)), None)
    if standing is None:  # superusers only
        return
    client = _client(standing, people, world)
    assert client.get(url).status_code < 500
    assert client.post(url, _post_data(world)).status_code < 500


@pytest.mark.django_db
def test_a_newsletter_address_taken_in_the_same_publication_is_a_form_error(world, people):
    """Found by the test above: the (publication, slug) constraint reached the database."""
    client = _client("admin", people, world)
    url = reverse("studio:newsletters", args=[world["publication"].slug])
    response = client.post(url, {"name": "둘째", "slug": "weekly", "sender_email": "b@example.com"})
    assert response.status_code == 400
    assert "Another newsletter already has this address." in _body(response)
    assert Newsletter.objects.filter(publication=world["publication"]).count() == 1
