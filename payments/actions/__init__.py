"""Every state change of the payments app, one module per area: bills, attempts, refunds,
reconciliation and webhooks."""
