"""Demo data for `make demo`. Safe to run again: it creates what is missing and resets the demo
logins' passwords so the printed ones always work. Later issues extend it app by app."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_STAFF = {"username": "admin", "email": "admin@demo.cityportal.local"}
DEMO_STAFF_PASSWORD = "cityportal-demo-admin"  # noqa: S105 - printed on purpose, demo only
DEMO_CITIZEN = {"username": "citizen", "email": "citizen@demo.cityportal.local"}
DEMO_CITIZEN_PASSWORD = "cityportal-demo-citizen"  # noqa: S105 - printed on purpose, demo only


class Command(BaseCommand):
    help = "Create or refresh the demo data and logins (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        staff, _ = user_model.objects.get_or_create(
            username=DEMO_STAFF["username"], defaults={"email": DEMO_STAFF["email"]}
        )
        staff.is_staff = True
        staff.is_superuser = True
        staff.set_password(DEMO_STAFF_PASSWORD)
        staff.save()
        citizen, _ = user_model.objects.get_or_create(
            username=DEMO_CITIZEN["username"], defaults={"email": DEMO_CITIZEN["email"]}
        )
        citizen.set_password(DEMO_CITIZEN_PASSWORD)
        citizen.save()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
