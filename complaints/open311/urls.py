"""Routes of the Open311 GeoReport v2 server, mounted at /open311/v2/ by cityportal/urls.py.

Every method ends in a format suffix; views answer an unknown one with Open311's 404."""

from django.urls import URLPattern, URLResolver, re_path

from complaints.open311 import views

app_name = "open311"

FORMAT = r"\.(?P<fmt>\w+)$"

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(rf"^discovery{FORMAT}", views.discovery, name="discovery"),
    re_path(rf"^services{FORMAT}", views.services, name="services"),
    re_path(
        rf"^services/(?P<service_code>[-\w]+){FORMAT}",
        views.service_definition,
        name="service-definition",
    ),
    re_path(rf"^requests{FORMAT}", views.requests, name="requests"),
    re_path(
        rf"^requests/(?P<service_request_id>[-\w]+){FORMAT}",
        views.service_request,
        name="request",
    ),
    re_path(rf"^servicerequestupdates{FORMAT}", views.service_request_updates, name="updates"),
]
