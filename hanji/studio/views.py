from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hanji.publications.queries import publications_for_user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    publications = publications_for_user(request.user).prefetch_related("posts")
    return render(request, "studio/dashboard.html", {"publications": publications})
