"""`make demo`'s data: idempotent, and the printed logins work."""

import pytest
from django.core.management import call_command

from cityportal.management.commands.seed_demo import (
    DEMO_CITIZEN,
    DEMO_STAFF,
    DEMO_STAFF_PASSWORD,
)
from identity.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_can_run_twice():
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(username=DEMO_STAFF["username"], is_staff=True).count() == 1
    assert User.objects.filter(username=DEMO_CITIZEN["username"], is_staff=False).count() == 1


def test_printed_staff_login_opens_the_admin(client):
    call_command("seed_demo")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": DEMO_STAFF["username"], "password": DEMO_STAFF_PASSWORD},
    )
    assert response.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "CityPortal administration" in page.content.decode()
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200
