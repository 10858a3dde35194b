from django.urls import path

from hanji.memberships import views

app_name = "memberships"
urlpatterns = [
    path("membership/webhooks/<str:provider>/", views.webhook, name="webhook"),
    path("membership/", views.plans, name="plans"),
    path("membership/checkout/", views.checkout, name="checkout"),
    path(
        "membership/checkout/<str:order_id>/portone/",
        views.portone_complete,
        name="portone_complete",
    ),
    path("membership/checkout/<str:order_id>/done/", views.checkout_done, name="checkout_done"),
    path("account/membership/", views.account, name="account"),
    path("account/membership/card/", views.card, name="card"),
    path("membership/gift/", views.gift, name="gift"),
    path("membership/gift/<str:order_id>/done/", views.gift_done, name="gift_done"),
    path("membership/gift/redeem/<str:token>/", views.gift_redeem, name="gift_redeem"),
]
