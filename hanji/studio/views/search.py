"""The studio's search: the words of every post this team member sees, drafts too."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from hanji.search.queries import search_posts
from hanji.search.terms import clean_query
from hanji.studio.queries import Access, posts_for_access
from hanji.studio.views.base import context, publication_view


@require_safe
@publication_view("view")
def post_search(request: HttpRequest, access: Access) -> HttpResponse:
    query = clean_query(request.GET.get("q", ""))
    results = []
    if query:
        mine = posts_for_access(access)
        results = search_posts(access.publication, query, visible=mine, full_text_of=mine)
    return render(request, "studio/search.html", context(access, query=query, results=results))
