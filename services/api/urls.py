"""Routes of the services API, mounted under /api/v1/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

from services.api import applications, bundles, catalogue, offers

app_name = "services"

urlpatterns: list[URLPattern | URLResolver] = [
    *catalogue.urlpatterns,
    *applications.urlpatterns,
    *bundles.urlpatterns,
    *offers.urlpatterns,
]
