"""Complaints API for citizens: report, track, follow, withdraw, find duplicates nearby."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
