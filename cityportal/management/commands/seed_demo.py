"""Demo data for `make demo`. Safe to run again: it creates what is missing and resets the demo
logins' passwords (and the staff login's authenticator) so the printed ones always work. Later
issues extend it app by app.

The complaints demo adds agency staff: `<agency code>.supervisor`, `.officer` (and
`cm-municipality.dispatcher`, `sz-government-services.dispatcher`) at demo.cityportal.local,
e.g. cm-public-works.officer@demo.cityportal.local, with the staff login's password and
two-factor secret."""

import time
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import encrypt
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from complaints.demo import seed_calendars, seed_complaints
from identity.adapters import mark_email_verified
from identity.demo import DEMO_PASSWORD, seed_identity
from payments.demo import seed_payments
from services.demo import seed_services

DEMO_STAFF = {"username": "admin", "email": "admin@demo.cityportal.local"}
DEMO_STAFF_PASSWORD = "cityportal-demo-admin"  # noqa: S105 - printed on purpose, demo only
# Staff need a second factor for the admin: the demo login's authenticator app holds this secret.
DEMO_STAFF_TOTP_SECRET = "CITYPORTALDEMOADMINTOTPSECRET234"  # noqa: S105 - printed, demo only
DEMO_CITIZEN = {"username": "citizen", "email": "citizen@demo.cityportal.local"}
DEMO_CITIZEN_PASSWORD = DEMO_PASSWORD


def demo_totp_code(*, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding the demo secret shows now (30-second steps)."""
    return format_hotp_value(
        hotp_value(DEMO_STAFF_TOTP_SECRET, int(time.time()) // 30 + steps_ahead)
    )


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
        mark_email_verified(staff)
        _give_demo_authenticator(staff)
        seed_identity(staff=staff)
        seed_payments()
        seed_services(staff=staff)
        seed_calendars()
        complaints = seed_complaints(staff_password=DEMO_STAFF_PASSWORD)
        for agency_staff in complaints.staff.values():
            _give_demo_authenticator(agency_staff)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))


def _give_demo_authenticator(user: Any) -> None:
    """The demo's authenticator app (DEMO_STAFF_TOTP_SECRET) as the user's second factor."""
    Authenticator.objects.update_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(DEMO_STAFF_TOTP_SECRET)}},
    )
