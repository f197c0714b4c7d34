from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    """A test-only app: the smallest endpoints that exercise the API conventions through HTTP
    before the domain apps have endpoints of their own."""

    name = "tests.conventions"
    label = "conventions"
