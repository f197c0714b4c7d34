"""Staff log in to the Django admin through allauth, with allauth's rate limits, and reach no
admin page without multi-factor authentication."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import encrypt
from django.test import Client

from tests.factories import PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "staff passphrase 2026"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ADMIN_PAGES = ["/admin/", "/admin/identity/person/", "/admin/django_celery_beat/periodictask/"]


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_ahead))


@pytest.fixture
def staff():
    user = StaffFactory.create(is_superuser=True, email="officer@city.example.org")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def give_totp(user) -> None:
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(SECRET)}
    )


def log_in(client: Client, user, next_url: str = "/admin/"):
    return client.post(
        f"/accounts/login/?next={next_url}", {"login": user.email, "password": PASSWORD}
    )


def test_the_admin_login_is_allauths(client):
    # when: an anonymous visitor opens the admin
    response = client.get("/admin/")
    # then: the admin's login page hands over to allauth's, keeping where they were going
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    handed_over = client.get(response["Location"])
    assert handed_over.status_code == 302
    assert handed_over["Location"] == "/accounts/login/?next=%2Fadmin%2F"


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_staff_without_mfa_are_sent_to_set_it_up(client, staff, page):
    # given: staff logged in with the right password, no authenticator yet
    assert log_in(client, staff).status_code == 302
    # when
    response = client.get(page)
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/2fa/totp/activate/?next={page.replace('/', '%2F')}"


def test_staff_set_up_totp_and_then_reach_the_admin(client, staff):
    # given: logged in without MFA, sent to set it up
    log_in(client, staff)
    setup_url = client.get("/admin/")["Location"]
    # when: confirming the password, then a code from the authenticator app
    to_password = client.get(setup_url)
    assert to_password.status_code == 302
    assert to_password["Location"].startswith("/accounts/reauthenticate/")
    client.post(to_password["Location"], {"password": PASSWORD})
    form = client.get("/accounts/2fa/totp/activate/")
    assert form.status_code == 200
    secret = form.context["form"].secret
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert activated.status_code == 302
    # then: the admin asks for a code once more, this session not having logged in with one
    to_code = client.get("/admin/")
    assert to_code.status_code == 302
    assert to_code["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2F"
    confirmed = client.post(to_code["Location"], {"code": totp_code(secret, 1)})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_with_totp_log_in_with_the_code_and_reach_the_admin(client, staff):
    # given: staff with an authenticator app
    give_totp(staff)
    # when: password first
    after_password = log_in(client, staff)
    # then: the code is asked for before anything opens
    assert after_password.status_code == 302
    assert after_password["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302
    # when: the code
    after_code = client.post("/accounts/2fa/authenticate/", {"code": totp_code(SECRET)})
    # then
    assert after_code.status_code == 302
    assert after_code["Location"] == "/admin/"
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == 200, page


def test_a_wrong_code_opens_no_admin_page(client, staff):
    give_totp(staff)
    log_in(client, staff)
    refused = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert refused.status_code == 200  # the form again, with its error
    assert refused.context["form"].errors["code"]
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_session_that_skipped_mfa_is_asked_for_a_code(client, staff):
    # given: staff with TOTP whose session was opened without it (e.g. before it was set up)
    give_totp(staff)
    client.force_login(staff)
    # when
    response = client.get("/admin/identity/person/")
    # then
    assert response.status_code == 302
    assert (
        response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fidentity%2Fperson%2F"
    )


def test_staff_can_still_log_out_of_the_admin_without_mfa(client, staff):
    log_in(client, staff)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_citizens_get_no_admin_page(client):
    citizen = PersonFactory.create().user
    client.force_login(citizen)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 403


def test_repeated_failed_staff_logins_are_throttled(client, staff):
    # given: five wrong passwords
    wrong = [
        client.post("/accounts/login/", {"login": staff.email, "password": "not the password"})
        for _ in range(5)
    ]
    assert [response.status_code for response in wrong] == [200] * 5  # the form, with an error
    # when: the right one
    response = log_in(client, staff)
    # then: throttled, and not logged in
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
