from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from hanji.core.language import choose_language
from hanji.core.views import healthz
from hanji.studio.views.auth import admin_sign_in

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # The admin signs in through the studio (password limits, second factor), never its own form.
    path("admin/login/", admin_sign_in, name="admin_login"),
    path("admin/", admin.site.urls),
    path("studio/", include("hanji.memberships.studio_urls")),
    path("studio/", include("hanji.studio.urls")),
    # The language switch (studio and readers' pages): a cookie, like Django's set_language.
    path("i18n/language/", choose_language, name="choose_language"),
    path("", include("hanji.subscribers.urls")),
    path("", include("hanji.sending.urls")),
    path("", include("hanji.engagement.urls")),
    path("", include("hanji.memberships.urls")),
    path("", include("hanji.site.urls")),
]
if settings.HANJI_SERVE_MEDIA:
    urlpatterns.insert(
        0, re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )

handler404 = "hanji.site.views.page_not_found"
handler500 = "hanji.site.views.server_error"
