"""`make demo`'s data: idempotent, and the printed logins work."""

import io

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command

from cityportal.management.commands.demo import Command as DemoCommand
from cityportal.management.commands.seed_demo import (
    DEMO_CITIZEN,
    DEMO_CITIZEN_PASSWORD,
    DEMO_STAFF,
    DEMO_STAFF_PASSWORD,
    DEMO_STAFF_TOTP_SECRET,
    demo_totp_code,
)
from identity.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_can_run_twice():
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(username=DEMO_STAFF["username"], is_staff=True).count() == 1
    assert User.objects.filter(username=DEMO_CITIZEN["username"], is_staff=False).count() == 1
    assert Authenticator.objects.filter(user__username=DEMO_STAFF["username"]).count() == 1
    # the staff login and the three demo citizens, besides the complaints agencies' staff
    agency_staff = EmailAddress.objects.filter(
        email__regex=r"\.(officer|supervisor|dispatcher)@demo\.cityportal\.local$"
    )
    assert agency_staff.exists()
    others = EmailAddress.objects.filter(verified=True, primary=True).difference(agency_staff)
    assert others.count() == 4


def test_printed_staff_login_opens_the_admin_with_its_two_factor_code(client):
    # given: the demo data, twice (the printed secret survives a re-run)
    call_command("seed_demo")
    call_command("seed_demo")
    # when: opening the admin, which hands over to allauth's login
    login_page = client.get("/admin/", follow=True)
    assert login_page.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    # when: the printed email and password, then the code the banner tells how to get
    after_password = client.post(
        "/accounts/login/?next=%2Fadmin%2F",
        {"login": DEMO_STAFF["email"], "password": DEMO_STAFF_PASSWORD},
    )
    assert after_password.status_code == 302
    assert after_password["Location"] == "/accounts/2fa/authenticate/"
    after_code = client.post("/accounts/2fa/authenticate/", {"code": demo_totp_code()})
    # then: the admin opens
    assert after_code.status_code == 302
    assert after_code["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "CityPortal administration" in page.content.decode()
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 200


def test_printed_citizen_login_works_in_the_app(api):
    call_command("seed_demo")
    response = api.post(
        "/_allauth/app/v1/auth/login",
        {"email": DEMO_CITIZEN["email"], "password": DEMO_CITIZEN_PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["meta"]["session_token"]
    assert api.get("/api/v1/identity/me", HTTP_X_SESSION_TOKEN=token).status_code == 200


def test_banner_prints_the_logins_and_how_to_get_a_code():
    out = io.StringIO()
    DemoCommand(stdout=out)._print_banner("http://127.0.0.1:8000")
    banner = out.getvalue()
    assert f"{DEMO_STAFF['email']} / {DEMO_STAFF_PASSWORD}" in banner
    assert f"password {DEMO_CITIZEN_PASSWORD}" in banner
    assert DEMO_CITIZEN["email"] in banner
    assert "Authorization: Bearer cp_demo_transit." in banner
    assert DEMO_STAFF_TOTP_SECRET in banner
    assert "manage.py demo --totp-code" in banner


def test_demo_prints_the_current_two_factor_code():
    out = io.StringIO()
    call_command("demo", "--totp-code", stdout=out)
    assert out.getvalue().strip() in {demo_totp_code(), demo_totp_code(steps_ahead=1)}
