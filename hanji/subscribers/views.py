# Replaced by the subscribers issue: double opt-in, confirmation, unsubscribe, account.
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=501)
