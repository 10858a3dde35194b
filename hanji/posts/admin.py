from django import forms
from django.contrib import admin

from hanji.posts.body import make_excerpt, sanitize
from hanji.posts.models import Category, Post, Tag


class PostAdminForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = "__all__"  # noqa: DJ007 - the admin chooses the fields it shows

    def clean_body(self) -> str:
        # The admin is one more way in: it passes the same allowlist as every other.
        return sanitize(self.cleaned_data["body"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("excerpt") and cleaned.get("body"):
            cleaned["excerpt"] = make_excerpt(cleaned["body"])
        return cleaned


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostAdminForm
    list_display = ["title", "publication", "status", "visibility", "published_at", "view_count"]
    list_filter = ["publication", "status", "visibility"]
    search_fields = ["title", "subtitle"]
    date_hierarchy = "published_at"
    raw_id_fields = ["created_by"]
    filter_horizontal = ["tags", "authors"]
    list_select_related = ["publication"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "publication", "position"]
    list_filter = ["publication"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "publication"]
    list_filter = ["publication"]
