from django.conf import settings


def publication(request) -> dict:
    return {
        "publication": getattr(request, "publication", None),
        "HANJI_BASE_URL": settings.HANJI_BASE_URL,
    }
