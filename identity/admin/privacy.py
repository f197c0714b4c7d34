"""Admin screens: privacy (see identity/admin/__init__.py)."""
