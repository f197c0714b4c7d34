"""The project's URLs, the test-only convention endpoints, and the bench floor view."""

from django.urls import path

from bench import views
from tests.conventions import urls as conventions

urlpatterns = [
    path("bench/gadgets", views.insert_gadget),
    *conventions.urlpatterns,
]

handler400 = conventions.handler400
handler403 = conventions.handler403
handler404 = conventions.handler404
handler500 = conventions.handler500
