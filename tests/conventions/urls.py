"""The project's URLs plus the test-only convention endpoints under /api/v1/conventions/."""

from django.urls import include, path, re_path

from cityportal import urls as project_urls

from . import views

conventions = [
    path("gadgets", views.GadgetListCreateView.as_view()),
    path("gadgets/strict", views.GadgetRequiredKeyView.as_view()),
    path("gadgets/<int:pk>", views.GadgetDetailView.as_view()),
    path("ping", views.PingView.as_view()),
    path("boom", views.BoomView.as_view()),
]

urlpatterns = [
    re_path(r"^api/(?P<version>v1)/conventions/", include(conventions)),
    *project_urls.urlpatterns,
]

handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500
