"""Developer machine and the demo: DEBUG on; SQLite and the filesystem broker unless set."""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
# Demo only: never use these keys for real data.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=["dGhpcy1pcy1hLWRlbW8tb25seS1rZXktMzItYnl0ZXM="]
)
# Passkeys on the plain-http demo at 127.0.0.1.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=True)
BLIND_INDEX_KEY = env.str(
    "BLIND_INDEX_KEY", default="demo-only-blind-index-key-never-use-in-production"
)
