from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from cityportal import health
from complaints.api.citizen import ComplaintListCreateView

# Staff log in to the admin through allauth: the same rate limits as everyone, and MFA (which
# identity.middleware.StaffMfaRequiredMiddleware makes mandatory for the admin).
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

# Every API route lives under /api/<version>/; DRF's URLPathVersioning reads the version from it.
api_v1: list[URLPattern | URLResolver] = [
    path("identity/", include("identity.api.urls")),
    path("", include("services.api.urls")),
    path("", include("payments.api.urls")),
    # The collection has no trailing slash, like /api/v1/applications, so a POST is never
    # redirected; everything below it lives in complaints/api/urls.py.
    path("complaints", ComplaintListCreateView.as_view(), name="complaints"),
    path("complaints/", include("complaints.api.urls")),
    path("", include("cityportal.notifications.api.views")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    re_path(r"^api/(?P<version>v1)/", include(api_v1)),
    path("open311/v2/", include("complaints.open311.urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url="/api/v1/schema/"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url="/api/v1/schema/"), name="redoc"),
    path("_allauth/", include("allauth.headless.urls")),
    path("accounts/", include("allauth.urls")),
    path("sandbox/", include("payments.providers.sandbox")),  # the sandbox's checkout page
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "cityportal.api.errors.bad_request_view"
handler403 = "cityportal.api.errors.forbidden_view"
handler404 = "cityportal.api.errors.not_found_view"
handler500 = "cityportal.api.errors.server_error_view"
