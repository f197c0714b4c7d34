"""Payments actions: webhooks."""
