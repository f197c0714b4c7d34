"""Admin screens: bills."""
