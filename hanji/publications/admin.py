from django.contrib import admin

from hanji.publications.models import Author, Domain, Publication, TeamMember


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TeamInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [DomainInline, TeamInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "description",
                    "bio",
                    "language",
                    "time_zone",
                    "logo",
                    "accent_color",
                ]
            },
        ),
        (
            "Business information",
            {
                "fields": [
                    "company_name",
                    "representative",
                    "business_number",
                    "mail_order_number",
                    "address",
                    "contact_email",
                    "phone",
                ]
            },
        ),
        ("Legal pages", {"fields": ["terms", "privacy", "recurring_terms", "faq"]}),
    ]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "publication"]
    list_filter = ["publication"]
    raw_id_fields = ["user"]
