"""Every state change of the services app, one module per area: catalogue (search document,
status), rulesets (validation, test cases, publishing), applications (submit, withdraw, review),
decisions (automatic decisions and their outcomes), bundles, offers."""
