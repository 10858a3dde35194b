"""Operators can look at sends and deliveries in the admin; changes go through the actions
(`hanji send …` or the studio), so these pages are read-only."""

from django.contrib import admin

from hanji.sending.models import Delivery, DeliveryEvent, Send, SendingSettings


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Send)
class SendAdmin(ReadOnly):
    list_display = (
        "id",
        "subject",
        "publication",
        "newsletter",
        "state",
        "total",
        "sent_count",
        "scheduled_at",
    )
    list_filter = ("state", "publication")
    search_fields = ("subject",)
    exclude = ("compiled",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("id", "send", "subscriber", "state", "attempts", "sent_at", "code", "error")
    list_filter = ("state",)
    raw_id_fields = ("send", "subscriber")
    search_fields = ("subscriber__email",)


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(ReadOnly):
    list_display = ("created_at", "kind", "send", "subscriber", "source", "detail")
    list_filter = ("kind", "source")
    raw_id_fields = ("send", "delivery", "subscriber")


@admin.register(SendingSettings)
class SendingSettingsAdmin(admin.ModelAdmin):
    list_display = ("publication", "track_opens", "track_clicks", "night_hold", "paused_at")
