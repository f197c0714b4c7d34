"""Staff screens of the services app, one module per area: the catalogue (services, categories,
life events), rules (rule sets, checks, test cases), applications (the manual review queue) and
bundles and offers."""

from services.admin import applications, bundles, catalogue, rules  # noqa: F401
