"""Routes of the payments API, mounted under /api/v1/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = []
