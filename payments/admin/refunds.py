"""Admin screens: refunds."""
