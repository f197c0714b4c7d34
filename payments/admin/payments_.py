"""Admin screens: payments_."""
