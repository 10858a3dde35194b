from django.urls import path

from hanji.memberships import studio

app_name = "memberships_studio"
P = "p/<slug:slug>/members/"
urlpatterns = [
    path(P, studio.overview, name="overview"),
    path(P + "list/", studio.member_list, name="members"),
    path(P + "export.csv", studio.member_export, name="export"),
    path(P + "comp/", studio.comp, name="comp"),
    path(P + "tiers/", studio.tiers, name="tiers"),
    path(P + "tiers/<int:tier_id>/", studio.tiers, name="tier"),
    path(P + "billing/", studio.billing, name="billing"),
]
