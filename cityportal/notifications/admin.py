from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityportal.notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    """Read-only: what was sent to whom, for support staff."""

    list_display = ["created_at", "recipient", "kind", "title", "delivery", "read_at"]
    list_filter = ["kind", "delivery", "language"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__pseudonym", "kind"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
