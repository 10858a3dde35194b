"""What the editor calls while someone writes: picture uploads, link cards, Markdown paste,
previews as a web page and as an email, and the test email."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from hanji.core.fetch import FetchRefused
from hanji.posts.body import MarkdownRefused, check_markdown, markdown_to_html
from hanji.posts.bookmarks import card_for_url
from hanji.posts.images import MAX_BYTES, ImageRefused, check_size, store_image
from hanji.sending.actions import SendError, send_test
from hanji.sending.preview import email_preview
from hanji.studio.queries import Access, get_post_for_access, request_user_address
from hanji.studio.views.base import context, publication_view
from hanji.studio.views.outbox import EMAIL_CSP

# Multipart framing around the file: a request a little over the file limit is still fine.
REQUEST_LIMIT = MAX_BYTES + 64 * 1024


class _TooLarge(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit (the body is never kept)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.seen = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > REQUEST_LIMIT:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)

    def receive_data_chunk(self, raw_data, start):
        self.seen += len(raw_data)
        if self.seen > MAX_BYTES:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt  # checked below, after the size limit is in place (Django's documented order)
@require_POST
def upload_image(request: HttpRequest, slug: str) -> HttpResponse:
    """A picture from the file button, a paste or a drop: JSON with src, srcset and size."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > REQUEST_LIMIT:
        # Refused before one byte of the body is read: a 100 MB upload costs nothing.
        try:
            check_size(declared)
        except ImageRefused as refused:
            return _refused(str(refused), status=413)
    request.upload_handlers.insert(0, _TooLarge(request))
    return _upload(request, slug)


@csrf_protect
@publication_view("write")
def _upload(request: HttpRequest, access: Access) -> HttpResponse:
    files = request.FILES
    if getattr(request, "upload_too_large", False):
        return _refused(_("Pictures may be at most 20 MB. Make it smaller first."), status=413)
    upload = files.get("image")
    if upload is None:
        return _refused(_("Choose a picture to upload."))
    try:
        check_size(upload.size)
        stored = store_image(access.publication.pk, upload.read())
    except ImageRefused as refused:
        return _refused(str(refused))
    return JsonResponse(stored.as_dict())


@require_POST
@publication_view("write")
def card(request: HttpRequest, access: Access) -> JsonResponse:
    """A pasted link as an embed (YouTube, Vimeo, X) or a bookmark card."""
    url = request.POST.get("url", "").strip()[:2000]
    if not url:
        return _refused(_("Paste a web address."))
    try:
        return JsonResponse({"html": card_for_url(access.publication.pk, url)})
    except FetchRefused as refused:
        return _refused(str(refused))


@require_POST
@publication_view("write")
def markdown(request: HttpRequest, access: Access) -> JsonResponse:
    """Pasted Markdown, turned into the body schema (sanitized like every body).

    Too long or too costly a text is refused whole (413 or 400, with words to show): cutting
    it would lose the end of the writer's paste."""
    text = request.POST.get("text", "")
    try:
        check_markdown(text)
    except MarkdownRefused as refused:
        return _refused(str(refused), status=refused.status)
    return JsonResponse({"html": markdown_to_html(text)})


# --- previews ---------------------------------------------------------------------------------


@require_safe
@publication_view("view")
def preview(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id)
    return render(
        request,
        "studio/preview.html",
        context(access, post=post, kind=request.GET.get("as", "web")),
    )


@require_safe
@xframe_options_sameorigin
@publication_view("view")
def preview_web(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    """The post page as readers will see it (whole body: staff see past the paywall)."""
    post = get_post_for_access(access, post_id)
    response = render(
        request,
        "site/post.html",
        {
            "publication": access.publication,
            "post": post,
            "body": post.body,
            "locked": False,
            "json_ld": "{}",
            "authors": list(post.authors.all()),
            "preview": True,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@xframe_options_sameorigin
@publication_view("view")
def preview_email(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    """The email's HTML exactly as the sending engine builds it, in a sandbox."""
    post = get_post_for_access(access, post_id)
    html, _text = email_preview(post, paid=request.GET.get("variant") == "paid")
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@publication_view("send")
def test_send(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id)
    raw = request.POST.get("addresses", "").strip() or request_user_address(access)
    addresses = [a.strip() for a in raw.replace(";", ",").split(",") if a.strip()][:5]
    try:
        outcomes = send_test(post, addresses)
    except (SendError, ValueError) as error:
        messages.error(request, str(error) or _("That is not an email address."))
    else:
        failed = [o for o in outcomes if o.status != "sent"]
        if failed:
            messages.error(
                request,
                _("The test email could not be sent: %(detail)s") % {"detail": failed[0].detail},
            )
        else:
            messages.success(
                request, _("A test email is on its way to %(to)s.") % {"to": ", ".join(addresses)}
            )
    return redirect("studio:post_edit", access.publication.slug, post.pk)
