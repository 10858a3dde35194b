"""Django admin for engagement: settings, recommendations, and moderation actions that call
the same functions as the staff views (until the studio has its own screens)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from hanji.engagement import actions
from hanji.engagement.models import (
    Comment,
    CommentBan,
    EngagementSettings,
    PostOptions,
    Recommendation,
)


@admin.register(EngagementSettings)
class EngagementSettingsAdmin(admin.ModelAdmin):
    list_display = ["publication", "who_may_comment", "anonymous_likes", "count_views"]
    list_select_related = ["publication"]


@admin.register(PostOptions)
class PostOptionsAdmin(admin.ModelAdmin):
    list_display = ["post", "comments_closed"]
    raw_id_fields = ["post"]
    exclude = ["publication"]

    def save_model(self, request, obj, form, change):
        obj.publication_id = obj.post.publication_id
        super().save_model(request, obj, form, change)


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["publication", "__str__", "url", "position"]
    list_filter = ["publication"]


@admin.register(CommentBan)
class CommentBanAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "publication", "reason", "created_at"]
    raw_id_fields = ["subscriber"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "post", "subscriber", "status", "pinned", "created_at"]
    list_filter = ["status", "pinned", "publication"]
    search_fields = ["body", "subscriber__email"]
    raw_id_fields = ["post", "subscriber", "parent"]
    readonly_fields = ["body_html", "created_at", "edited_at", "moderated_at", "moderated_by"]
    actions = ["approve", "hide", "delete_text", "pin", "ban_authors"]

    def has_add_permission(self, request) -> bool:
        return False  # comments come from readers

    @admin.action(description=_("Publish the selected comments"))
    def approve(self, request, queryset):
        for comment in queryset:
            actions.approve_comment(comment, request.user)

    @admin.action(description=_("Hide the selected comments"))
    def hide(self, request, queryset):
        for comment in queryset:
            actions.hide_comment(comment, request.user)

    @admin.action(description=_("Delete the text of the selected comments"))
    def delete_text(self, request, queryset):
        for comment in queryset:
            actions.delete_comment(comment, request.user)

    @admin.action(description=_("Pin the selected comments"))
    def pin(self, request, queryset):
        for comment in queryset:
            try:
                actions.pin_comment(comment, request.user)
            except actions.Refused as refused:
                self.message_user(request, str(refused), level="warning")

    @admin.action(description=_("Ban the authors from commenting"))
    def ban_authors(self, request, queryset):
        for comment in queryset.select_related("publication", "subscriber"):
            actions.ban_reader(comment.publication, comment.subscriber, request.user)
