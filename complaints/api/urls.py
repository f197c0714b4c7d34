"""Routes of the complaints API, mounted under /api/v1/complaints/ by cityportal/urls.py,
which also routes the collection itself, /api/v1/complaints (no trailing slash, like
/api/v1/applications).

A complaint is addressed by its tracking number (`<tracking:number>`, e.g. C-7KQ4-M9XA), so
fixed words such as `nearby`, `public` or `track` never clash with it. The converter is
registered in complaints/api/__init__.py."""

from django.urls import URLPattern, URLResolver

# The package registers the converter before these modules build their routes.
from complaints.api import citizen, opendata, ratings, staff

app_name = "complaints"

urlpatterns: list[URLPattern | URLResolver] = [
    *opendata.urlpatterns,
    *staff.urlpatterns,
    *ratings.urlpatterns,
    *citizen.urlpatterns,
]
