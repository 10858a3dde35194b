from django.urls import path

from hanji.engagement import views

app_name = "engagement"
urlpatterns = [
    path("engagement/<int:post_id>/beacon/", views.beacon, name="beacon"),
    path("engagement/<int:post_id>/like/", views.like, name="like"),
    path("engagement/<int:post_id>/comments/", views.comment_create, name="comment_create"),
    path("engagement/comments/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path(
        "engagement/comments/<int:comment_id>/delete/",
        views.comment_delete,
        name="comment_delete",
    ),
    path("engagement/replies-off/<str:token>/", views.replies_off, name="replies_off"),
    path("engagement/og/<int:post_id>-<str:version>.png", views.og_image, name="og_image"),
    path("engagement/studio/<slug:slug>/comments/", views.moderation, name="moderation"),
    path(
        "engagement/studio/<slug:slug>/comments/<int:comment_id>/<str:action>/",
        views.moderate,
        name="moderate",
    ),
]
