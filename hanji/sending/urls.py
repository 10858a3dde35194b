from django.urls import path

from hanji.sending import views

app_name = "sending"
urlpatterns = [
    path("e/o/<str:token>.gif", views.open_pixel, name="open"),
    path("e/c/<str:token>/<int:position>/", views.click, name="click"),
    # Email services report bounces, complaints and more here, each call proven the way its
    # service documents (see hanji.sending.hooks).
    path("e/hooks/<path:rest>", views.service_hook, name="service_hook"),
]
