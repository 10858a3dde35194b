"""The Content-Security-Policy of every page Hanji serves, set in one place.

Scripts run only from Hanji's own origin or, inline, with the response's nonce
(`nonce="{{ csp_nonce }}"`); no plugin, no `<base>`, and frames only from the embeds the body
sanitizer keeps. A page is framed by nobody, except the studio's previews
(`@xframe_options_sameorigin`), which the studio itself frames. Styles may be inline: the
public pages carry the publication's accent colour in a `<style>`, and cached pages cannot
carry a fresh nonce (see hanji.core.pagecache); the sanitizer removes every style from what
users write. A view that sets its own policy (the email previews) keeps it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSPMiddleware
from django.middleware.csp import get_nonce
from django.utils.csp import CSP, build_policy

from hanji.posts.body import EMBED_ORIGINS

HEADER = str(CSP.HEADER_ENFORCE)  # a plain str: WSGI servers refuse a str subclass
POLICY: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    # Pictures in a body may come from any https address (a pasted Markdown image, a link
    # card's picture); the editor shows a dropped picture from a blob: before it is stored.
    "img-src": [CSP.SELF, "https:", "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "media-src": [CSP.SELF],
    "frame-src": [CSP.SELF, *EMBED_ORIGINS],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
}


def policy_for(response: HttpResponse) -> dict[str, list[str]]:
    """The policy with its frame-ancestors: the same as X-Frame-Options says, so a browser
    that reads only one of the two headers is told the same thing."""
    framed_by = CSP.SELF if response.get("X-Frame-Options") == "SAMEORIGIN" else CSP.NONE
    return {**POLICY, "frame-ancestors": [framed_by]}


def allow_more(request: HttpRequest, response: HttpResponse, **sources: list[str]) -> HttpResponse:
    """Set this response's policy with more sources for some directives (`script_src=[...]`):
    for the few pages of Hanji's own making that load a provider's script (the PortOne
    payment window). The middleware leaves a policy that is already set alone."""
    policy = policy_for(response)
    for name, extra in sources.items():
        directive = name.replace("_", "-")
        policy[directive] = [*policy.get(directive, []), *extra]
    response.headers[HEADER] = build_policy(policy, get_nonce(request))
    return response


class ContentSecurityPolicyMiddleware(DjangoCSPMiddleware):
    """Django's CSP middleware (it makes the nonce) with Hanji's policy."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if HEADER not in response:
            response.headers[HEADER] = build_policy(policy_for(response), get_nonce(request))
        return response


def nonce_was_used(request: HttpRequest) -> bool:
    """Whether the response carries this request's nonce (a page that must not be cached:
    a stored copy would show the nonce of another response)."""
    return bool(get_nonce(request))
