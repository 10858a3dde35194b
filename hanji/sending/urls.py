from django.urls import path

from hanji.sending import views

app_name = "sending"
urlpatterns = [
    path("e/o/<str:token>.gif", views.open_pixel, name="open"),
    path("e/c/<str:token>/<int:position>/", views.click, name="click"),
    # Email services report bounces, complaints and more here (signatures checked by anymail;
    # Amazon SES through SNS with SNS's signature checked, without boto3). See views.service_hook.
    path("e/hooks/<path:rest>", views.service_hook, name="service_hook"),
]
