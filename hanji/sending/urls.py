from django.urls import include, path

from hanji.sending import views
from hanji.sending.sns import SESTrackingView

app_name = "sending"
urlpatterns = [
    path("e/o/<str:token>.gif", views.open_pixel, name="open"),
    path("e/c/<str:token>/<int:position>/", views.click, name="click"),
    # Email services report bounces, complaints and more here (signatures checked by anymail).
    # Amazon SES through SNS: anymail's view with SNS's signature checked, without boto3.
    path("e/hooks/amazon_ses/tracking/", SESTrackingView.as_view(), name="ses_tracking"),
    path("e/hooks/", include("anymail.urls")),
]
