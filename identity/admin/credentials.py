"""Admin screens: credentials (see identity/admin/__init__.py)."""
