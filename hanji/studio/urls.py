from django.contrib.auth import views as auth_views
from django.urls import path

from hanji.studio import views

app_name = "studio"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="studio/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
