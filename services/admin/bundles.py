"""Placeholder: filled in by the bundles work."""
