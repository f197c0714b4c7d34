"""Payments actions: attempts."""
