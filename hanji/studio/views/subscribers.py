"""Subscribers: the list (search, filters, keyset pages), one subscriber, add, tags,
unsubscribe, delete, export with the current filters, saved segments, and the import wizard."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from hanji.core.params import parse_ids, parse_int
from hanji.core.ratelimit import client_ip
from hanji.sending.queries import received_by
from hanji.studio import stats
from hanji.studio.forms import SegmentForm, SubscriberAddForm, refuse
from hanji.studio.pages import PARAM as PAGE_PARAM
from hanji.studio.pages import keyset_page
from hanji.studio.queries import Access
from hanji.studio.views.base import context, publication_view
from hanji.studio.views.plumbing import csv_download
from hanji.subscribers import uploads
from hanji.subscribers.actions import (
    Refused,
    RequestInfo,
    delete_segment,
    delete_subscriber,
    save_segment,
    set_subscriber_tags,
    subscribe,
    unsubscribe,
)
from hanji.subscribers.addresses import InvalidEmail
from hanji.subscribers.exporter import export_rows, neutralize
from hanji.subscribers.importer import create_import, enqueue_import
from hanji.subscribers.models import (
    ConsentEvent,
    Import,
    ImportRejection,
    ImportState,
    Newsletter,
    Segment,
    Source,
    Subscriber,
    SubscriberStatus,
)
from hanji.subscribers.queries import (
    filter_subscribers,
    segment_counts,
    signup_bounds,
    subscribers_of,
)

PAGE = 50


def _day(params, key: str) -> date | None:
    try:
        return parse_date(params.get(key, ""))
    except ValueError:  # well formed but not a day (2026-02-30)
        return None


def _filtered(access: Access, params) -> tuple:
    """The subscribers the current filters select, and whether any filter is on."""
    publication = access.publication
    newsletter = params.get("newsletter", "")
    after, before = signup_bounds(publication, _day(params, "after"), _day(params, "before"))
    queryset = filter_subscribers(
        subscribers_of(publication),
        statuses=[s for s in params.getlist("status") if s in SubscriberStatus.values],
        newsletter=int(newsletter)
        if newsletter.isdigit()
        and Newsletter.objects.filter(publication=publication, pk=newsletter).exists()
        else None,
        tags=[t for t in params.getlist("tag") if t],
        signed_up_after=after,
        signed_up_before=before,
        source=params.get("source", "") if params.get("source", "") in Source.values else "",
    )
    query = params.get("q", "").strip()
    if query:
        # An address (or its start) uses the (publication, email) index; a name is a scan.
        queryset = queryset.filter(Q(email__startswith=query.lower()) | Q(name__icontains=query))
    active = any(
        params.get(k) for k in ("q", "status", "newsletter", "tag", "after", "before", "source")
    )
    return queryset, active


@require_safe
@publication_view("subscribers")
def subscriber_list(request: HttpRequest, access: Access) -> HttpResponse:
    queryset, filtered = _filtered(access, request.GET)
    page = keyset_page(
        request,
        queryset.only("id", "email", "name", "status", "tags", "source", "created_at"),
        size=PAGE,
    )
    params = request.GET.copy()
    params.pop(PAGE_PARAM, None)
    return render(
        request,
        "studio/subscribers.html",
        context(
            access,
            subscribers=page.rows,
            page=page,
            figures=stats.subscriber_stats(access.publication),
            filtered=filtered,
            params=request.GET,
            base_query=params.urlencode(),
            statuses=SubscriberStatus.choices,
            sources=Source.choices,
            newsletters=Newsletter.objects.filter(publication=access.publication),
            segments=Segment.objects.filter(publication=access.publication),
        ),
    )


@require_safe
@publication_view("subscribers")
def subscriber_export(request: HttpRequest, access: Access) -> StreamingHttpResponse:
    queryset, _filtered_on = _filtered(access, request.GET)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_download(
        export_rows(access.publication, queryset),
        f"{access.publication.slug}-subscribers-{stamp}.csv",
    )


def _subscriber(access: Access, subscriber_id: int) -> Subscriber:
    subscriber = Subscriber.objects.filter(publication=access.publication, pk=subscriber_id).first()
    if subscriber is None:
        raise Http404
    return subscriber


def _info(request: HttpRequest) -> RequestInfo:
    return RequestInfo(
        ip=client_ip(request) if client_ip(request) != "unknown" else None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        channel=f"studio:{request.user.get_username()}",
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("subscribers")
def subscriber_detail(request: HttpRequest, access: Access, subscriber_id: int) -> HttpResponse:
    subscriber = _subscriber(access, subscriber_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "tags":
            set_subscriber_tags(subscriber, request.POST.get("tags", ""))
            messages.success(request, _("Tags saved."))
        elif action == "unsubscribe":
            unsubscribe(subscriber, info=_info(request))
            messages.success(request, _("Unsubscribed from every newsletter."))
        elif action == "delete":
            delete_subscriber(subscriber, info=_info(request))
            messages.success(request, _("The subscriber and their data are deleted."))
            return redirect("studio:subscribers", access.publication.slug)
        else:
            raise Http404
        return redirect("studio:subscriber", access.publication.slug, subscriber.pk)
    return render(
        request,
        "studio/subscriber.html",
        context(
            access,
            subscriber=subscriber,
            newsletters=Newsletter.objects.filter(subscriptions__subscriber=subscriber),
            consent=ConsentEvent.objects.filter(subscriber=subscriber).order_by(
                "-created_at", "-id"
            )[:100],
            received=received_by(subscriber)[:50],
        ),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("subscribers")
def subscriber_add(request: HttpRequest, access: Access) -> HttpResponse:
    """Add one address: it gets the confirmation email (double opt-in), like the form."""
    newsletters = list(Newsletter.objects.filter(publication=access.publication))
    form = SubscriberAddForm(
        request.POST if request.method == "POST" else None, newsletters=newsletters
    )
    if form.is_valid():
        try:
            subscribe(
                access.publication,
                form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                newsletter_ids=form.cleaned_data["newsletters"],
                info=_info(request),
                kind="studio",
            )
        except InvalidEmail as invalid:
            form.add_error("email", str(invalid.message))
        else:
            messages.success(
                request, _("The address is added; it receives the confirmation email.")
            )
            return redirect("studio:subscribers", access.publication.slug)
    return render(
        request,
        "studio/subscriber_add.html",
        context(access, form=form),
        status=400 if form.errors else 200,
    )


# --- segments ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("subscribers")
def segments(request: HttpRequest, access: Access) -> HttpResponse:
    newsletters = list(Newsletter.objects.filter(publication=access.publication))
    posted = request.method == "POST" and request.POST.get("action") != "delete"
    form = SegmentForm(request.POST if posted else None, newsletters=newsletters)
    if request.method == "POST" and not posted:
        delete_segment(access.publication, parse_int(request.POST.get("segment")))
        return redirect("studio:segments", access.publication.slug)
    if form.is_valid():
        try:
            save_segment(access.publication, form.cleaned_data)
        except Refused as refused:
            refuse(form, refused)
        else:
            messages.success(request, _("Segment saved."))
            return redirect("studio:segments", access.publication.slug)
    rows = list(Segment.objects.filter(publication=access.publication).select_related("newsletter"))
    counted = segment_counts(access.publication, rows)
    for segment in rows:
        segment.count = counted[segment.pk]
    return render(
        request,
        "studio/segments.html",
        context(
            access,
            segments=rows,
            form=form,
        ),
        status=400 if form.errors else 200,
    )


# --- the import wizard ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("subscribers")
def import_start(request: HttpRequest, access: Access) -> HttpResponse:
    """Step 1: upload the file."""
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV file.")
        else:
            path = uploads.store_upload(access.publication, upload)
            try:
                uploads.check_upload(path)  # a file it cannot read is refused here, at its field
            except Refused as refused:
                path.unlink(missing_ok=True)
                error = str(refused)
            else:
                request.session[f"import:{path.name}"] = upload.name[:200]
                return redirect("studio:import_map", access.publication.slug, path.name)
    return render(
        request,
        "studio/import_start.html",
        context(access, error=error),
        status=400 if error else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@publication_view("subscribers")
def import_map(request: HttpRequest, access: Access, name: str) -> HttpResponse:
    """Step 2: map the columns, see the first rows and the problems found; step 3: import."""
    try:
        path = uploads.upload_path(access.publication, name)
        preview = uploads.preview_upload(path)
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("studio:import_start", access.publication.slug)
    newsletters = Newsletter.objects.filter(publication=access.publication)
    if request.method == "POST":
        chosen = {}
        for column in uploads.COLUMNS:
            value = request.POST.get(f"column_{column}", "")
            if value.lstrip("-").isdigit() and int(value) >= 0:
                chosen[column] = int(value)
        if "email" not in chosen and preview["header"]:
            messages.error(request, _("Choose the column that holds the email addresses."))
        else:
            path = (
                uploads.apply_mapping(path, preview["header"], chosen)
                if "email" in preview["mapping"] or chosen.get("email", 0) != 0
                else path
            )
            status = request.POST.get("status", SubscriberStatus.ACTIVE)
            import_run = create_import(
                access.publication,
                str(path),
                status=status
                if status in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING)
                else SubscriberStatus.ACTIVE,
                newsletters=list(
                    newsletters.filter(pk__in=parse_ids(request.POST.getlist("newsletters")))
                ),
                tags=[t.strip() for t in request.POST.get("tags", "").split(",") if t.strip()],
                consent=request.POST.get("consent", ""),
                created_by=request.user,
                filename=request.session.get(f"import:{name}", ""),
            )
            enqueue_import(import_run)
            return redirect("studio:import_detail", access.publication.slug, import_run.pk)
    return render(
        request,
        "studio/import_map.html",
        context(
            access,
            name=name,
            preview=preview,
            columns=[(c, preview["mapping"].get(c)) for c in uploads.COLUMNS],
            newsletters=newsletters,
        ),
    )


def _import(access: Access, import_id: int) -> Import:
    found = Import.objects.filter(publication=access.publication, pk=import_id).first()
    if found is None:
        raise Http404
    return found


def import_data(import_run: Import) -> dict:
    return {
        "state": import_run.get_state_display(),  # the label, in the studio's language
        "percent": import_run.percent,
        "processed": import_run.processed_rows,
        "total": import_run.total_rows,
        "created": import_run.created_count,
        "merged": import_run.merged_count,
        "unchanged": import_run.unchanged_count,
        "suppressed": import_run.suppressed_count,
        "rejected": import_run.rejected_count,
        "duplicates": import_run.duplicate_count,
        "error": import_run.error,
        "done": import_run.state in (ImportState.DONE, ImportState.FAILED),
    }


@require_safe
@publication_view("subscribers")
def import_detail(request: HttpRequest, access: Access, import_id: int) -> HttpResponse:
    """Step 4 and 5: a live progress bar, then the report."""
    import_run = _import(access, import_id)
    return render(
        request,
        "studio/import_detail.html",
        context(
            access,
            run=import_run,
            figures=import_data(import_run),
            rejections=ImportRejection.objects.filter(import_run=import_run)[:50],
        ),
    )


@require_safe
@publication_view("subscribers")
def import_progress(request: HttpRequest, access: Access, import_id: int) -> JsonResponse:
    return JsonResponse(import_data(_import(access, import_id)))


@require_safe
@publication_view("subscribers")
def import_rejections(
    request: HttpRequest, access: Access, import_id: int
) -> StreamingHttpResponse:
    """Every rejected line with its reason, as CSV."""
    import_run = _import(access, import_id)

    def rows():
        yield [_("line"), _("reason"), _("content")]
        last = 0
        while True:
            page = list(
                ImportRejection.objects.filter(import_run=import_run, pk__gt=last)
                .order_by("pk")
                .values_list("pk", "line", "reason", "excerpt")[:2000]
            )
            if not page:
                return
            for _pk, line, reason, excerpt in page:
                # The excerpt is the uploaded file's own text: it may hold a formula.
                yield [line, neutralize(reason), neutralize(excerpt)]
            last = page[-1][0]

    return csv_download(rows(), f"import-{import_run.pk}-rejected.csv")
