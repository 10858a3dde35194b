from __future__ import annotations

from datetime import datetime

from django import template
from django.template import defaulttags
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.html import conditional_escape
from django.utils.translation import gettext as _

register = template.Library()

# Addresses already reversed in this process, by (view, arguments, app, script prefix, URL
# configuration): URL patterns never change while a process runs, and Django's reverse()
# costs 30-70 µs, which a page with 40 links paid on every render.
_reversed: dict[tuple, str] = {}


class RememberedURLNode(defaulttags.URLNode):
    def render(self, context) -> str:
        args = tuple(arg.resolve(context) for arg in self.args)
        if self.kwargs or self.asvar or not all(type(arg) in (str, int) for arg in args):
            return super().render(context)
        try:  # as Django's own tag finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        view_name = self.view_name.resolve(context)
        key = (view_name, args, current_app, get_script_prefix(), get_urlconf())
        url = _reversed.get(key)
        if url is None:
            url = reverse(view_name, args=args, current_app=current_app)
            if len(_reversed) > 10_000:
                _reversed.clear()
            _reversed[key] = url
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> RememberedURLNode:
    """Django's `{% url %}`, remembering each address it has made (templates that load this
    library get it in place of the built-in one)."""
    node = defaulttags.url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


def compact_number(n: int) -> str:
    """7 → "7", 7_240 → "7.2K", 72_400 → "72K", 1_250_000 → "1.3M"."""
    n = int(n or 0)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size:
            value = n / size
            text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return str(n)


@register.filter
def compact(n: int) -> str:
    return compact_number(n)


@register.filter
def views_label(n: int) -> str:
    """`조회 7K` in Korean, `7K views` in English."""
    return _("%(count)s views") % {"count": compact_number(n)}


@register.filter
def pubdate(value: datetime | None) -> str:
    """2023.11.22 in Korean, Nov 22, 2023 in English; in the active (publication's) time zone."""
    if not value:
        return ""
    local = timezone.localtime(value)
    if translation.get_language() == "ko":
        return local.strftime("%Y.%m.%d")
    return f"{local.strftime('%b')} {local.day}, {local.year}"


@register.simple_tag(takes_context=True)
def signed_in_reader(context):
    """The subscriber signed in to this publication, or None (`{% signed_in_reader as r %}`).

    Safe on cached pages: a request without a session (the only kind the anonymous page
    cache stores) has no reader, so the stored page is the one every anonymous reader gets.
    """
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return None
    from hanji.engagement.readers import current_reader

    return current_reader(request)


@register.simple_tag(takes_context=True)
def subscriber_newsletters(context, subscriber):
    """The names of the newsletters `subscriber` receives (for their own status line)."""
    from hanji.subscribers.models import SubscriberStatus

    if subscriber is None or subscriber.status != SubscriberStatus.ACTIVE:
        return []
    return list(
        subscriber.subscriptions.order_by("newsletter__position", "newsletter_id").values_list(
            "newsletter__name", flat=True
        )
    )
