from django.contrib import admin

from .models import Authority


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "panel_quorum", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
