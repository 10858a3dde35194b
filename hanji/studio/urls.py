from django.contrib.auth import views as auth_views
from django.urls import path

from hanji.studio import views

app_name = "studio"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_message, name="outbox_message"),
    path("outbox/<int:pk>/html/", views.outbox_message_html, name="outbox_message_html"),
    path("outbox/<int:pk>/raw/", views.outbox_message_raw, name="outbox_message_raw"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="studio/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
