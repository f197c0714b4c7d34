"""Production: every secret from the environment, HTTPS only, JSON logs, hashed static files."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import LOGGING, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # required: refuses to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")  # required
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")  # required

# TLS ends at the load balancer, which tells us the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health probes come from inside the cluster over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT

# The sandbox provider takes no money: production names a real one and its webhook secret.
PAYMENT_DEFAULT_PROVIDER = env.str("PAYMENT_DEFAULT_PROVIDER", default="stripe")
if PAYMENT_DEFAULT_PROVIDER == "sandbox" and not env.bool("ALLOW_SANDBOX_PAYMENTS", default=False):
    raise ImproperlyConfigured("PAYMENT_DEFAULT_PROVIDER is the sandbox; name a real provider.")
