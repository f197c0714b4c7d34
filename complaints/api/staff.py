"""Complaints API for agency staff and agency systems: work the complaints an agency handles."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
