"""Routes of the complaints API, mounted under /api/v1/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "complaints"

urlpatterns: list[URLPattern | URLResolver] = []
