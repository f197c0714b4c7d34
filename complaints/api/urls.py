"""Routes of the complaints API, mounted under /api/v1/complaints/ by cityportal/urls.py.

A complaint is addressed by its tracking number (`<tracking:number>`, e.g. C-7KQ4-M9XA), so
fixed words such as `nearby`, `public` or `track` never clash with it."""

from django.urls import URLPattern, URLResolver, register_converter

from complaints.api import citizen, opendata, ratings, staff


class TrackingNumberConverter:
    regex = "C-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingNumberConverter, "tracking")

app_name = "complaints"

urlpatterns: list[URLPattern | URLResolver] = [
    *opendata.urlpatterns,
    *staff.urlpatterns,
    *ratings.urlpatterns,
    *citizen.urlpatterns,
]
