from django.urls import path

from hanji.subscribers import account, views

app_name = "subscribers"
urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("account/", account.account, name="account"),
    path("account/sign-in/<str:token>/", account.sign_in, name="sign_in"),
    path("account/sign-out/", account.sign_out, name="sign_out"),
    path("account/newsletters/", account.newsletters, name="account_newsletters"),
    path("account/email/", account.change_email, name="change_email"),
    path("account/email/<str:token>/", account.email_change, name="email_change"),
    path("account/export/", account.export, name="export"),
    path("account/delete/", account.delete, name="delete"),
]
