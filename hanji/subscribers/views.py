# Placeholders until the subscribers issue lands: double opt-in, unsubscribe, preferences.
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def subscribe(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)


def preferences(request: HttpRequest, token: str) -> HttpResponse:
    return HttpResponse(status=501)
