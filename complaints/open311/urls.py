"""Routes of the Open311 GeoReport v2 server, mounted at /open311/v2/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

app_name = "open311"

urlpatterns: list[URLPattern | URLResolver] = []
