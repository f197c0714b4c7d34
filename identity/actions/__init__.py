"""Every state change of the identity app, one module per area (the app is big enough that one
actions.py would be thousands of lines): persons, credentials, privacy (consents, access log,
exports, closure), organisations (mandates, API clients)."""
