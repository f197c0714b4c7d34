"""Routes of the services API, mounted under /api/v1/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "services"

urlpatterns: list[URLPattern | URLResolver] = []
