"""Placeholder: filled in by the rules work."""
