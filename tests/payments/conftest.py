"""Every payments test ends with a balanced ledger that matches captures and refunds."""

from collections.abc import Iterator

import pytest

from payments.ledger import verify_ledger


@pytest.fixture(autouse=True)
def _ledger_balances(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or any(marker.name == "django_db" for marker in request.node.iter_markers())
    ):
        assert verify_ledger() == []
