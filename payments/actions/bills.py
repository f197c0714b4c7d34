"""Payments actions: bills."""
