"""Payments actions: reconciliation."""
