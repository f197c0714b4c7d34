from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cityportal.models import IdempotencyKey, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "last_seen", "beats"]
    readonly_fields = ["worker", "last_seen", "beats"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Read-only: support staff look up what a client's retry was answered with."""

    list_display = ["key", "scope", "method", "path", "status", "response_status", "created_at"]
    list_filter = ["status", "method"]
    search_fields = ["key", "scope", "path"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in IdempotencyKey._meta.fields]
    fieldsets = [
        (None, {"fields": ["scope", "key", "fingerprint", "method", "path", "status"]}),
        (_("Answer"), {"fields": ["response_status", "response_headers", "response_body"]}),
        (_("Times"), {"fields": ["locked_at", "created_at", "completed_at", "expires_at"]}),
    ]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
