"""Payments API: refunds — serializers and views (HTTP only; rules live in payments.actions)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
