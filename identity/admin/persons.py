"""Admin screens: persons (see identity/admin/__init__.py)."""
