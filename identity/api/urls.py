"""Routes of the identity API, mounted under /api/v1/identity/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

from identity.api import credentials, persons, privacy

app_name = "identity"

urlpatterns: list[URLPattern | URLResolver] = [
    *persons.urlpatterns,
    *credentials.urlpatterns,
    *privacy.urlpatterns,
]
