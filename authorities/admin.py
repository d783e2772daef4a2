from django.contrib import admin

from .models import Authority


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "panel_quorum", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request, obj=None):
        # The delete page would list every school and member that deleting would take with it.
        return False
