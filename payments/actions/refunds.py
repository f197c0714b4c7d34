"""Payments actions: refunds."""
