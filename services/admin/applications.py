"""Placeholder: filled in by the applications work."""
