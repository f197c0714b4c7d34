"""Identity API: privacy — serializers and views (HTTP only; rules live in identity.actions)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
