from django.urls import path

from hanji.subscribers import views

app_name = "subscribers"
urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
]
