"""Complaints API for open data: public complaints as GeoJSON and aggregate statistics."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
