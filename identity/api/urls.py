"""Routes of the identity API, mounted under /api/v1/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "identity"

urlpatterns: list[URLPattern | URLResolver] = []
