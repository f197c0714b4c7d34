"""Routes of the payments API, mounted under /api/v1/ by cityportal/urls.py."""

from django.urls import URLPattern, URLResolver

from payments.api import bills, payments_, refunds

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = [
    *bills.urlpatterns,
    *payments_.urlpatterns,
    *refunds.urlpatterns,
]
