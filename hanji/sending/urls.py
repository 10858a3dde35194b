from django.urls import include, path

from hanji.sending import views

app_name = "sending"
urlpatterns = [
    path("e/o/<str:token>.gif", views.open_pixel, name="open"),
    path("e/c/<str:token>/<int:position>/", views.click, name="click"),
    # Email services report bounces, complaints and more here (signatures checked by anymail).
    path("e/hooks/", include("anymail.urls")),
]
