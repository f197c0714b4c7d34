"""The one code: a signed token valid 60 seconds that a verifier scans, learning only what its
client may see; and one card shared for a limited time. Every verification is logged."""

import base64
import datetime
import time

import pytest
from django.core import signing
from django.utils import timezone

from identity import onecode
from identity.models import AccessLogEntry, Credential, LevelOfAssurance
from tests.factories import CredentialFactory, CredentialTypeFactory

pytestmark = pytest.mark.django_db

ONE_CODE = "/api/v1/identity/one-code"
VERIFY = "/api/v1/identity/one-code/verify"
CREDENTIALS = "/api/v1/identity/credentials"
VERIFY_SCOPE = "one-code:verify"

ANONYMOUS = "anonymous"
OWNER = "owner"
OTHER_CITIZEN = "other_citizen"
OFFICER = "officer"
OTHER_OFFICER = "other_officer"
VERIFIER = "verifier"  # an integrator with one-code:verify
UNSCOPED_INTEGRATOR = "integrator_without_scope"  # credentials:write only


class Clock:
    """time.time() under the test's control (django.core.signing reads it for max_age)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def transit_card(agency):
    return CredentialTypeFactory.create(code="transit_card", name="Transit card", issuer=agency)


@pytest.fixture
def library_card(other_agency):
    return CredentialTypeFactory.create(
        code="library_card", name="Library card", issuer=other_agency
    )


@pytest.fixture
def id_card(other_agency):
    return CredentialTypeFactory.create(code="id_card", name="ID card", issuer=other_agency)


@pytest.fixture
def wallet(person, transit_card, library_card, id_card):
    """The citizen holds a transit card, a library card and an ID card, all issued and valid."""
    return {
        "transit": CredentialFactory.create(
            holder=person, type=transit_card, number="TC0000123456"
        ),
        "library": CredentialFactory.create(holder=person, type=library_card, number="LIB778899"),
        "id": CredentialFactory.create(holder=person, type=id_card, number="1101990011223"),
    }


@pytest.fixture
def transit_verifier(integrator, transit_card):
    """The transit agency's gate: may see transit cards only, and not the holder's name."""
    client = integrator(VERIFY_SCOPE)
    client.api_client.credential_types.set([transit_card])
    return client


@pytest.fixture
def caller(request, api, integrator):
    def make(name):
        if name == ANONYMOUS:
            return api
        if name == OWNER:
            return request.getfixturevalue("citizen_api")
        if name == OTHER_CITIZEN:
            return request.getfixturevalue("other_citizen_api")
        if name == OFFICER:
            return request.getfixturevalue("officer_api")
        if name == OTHER_OFFICER:
            return request.getfixturevalue("other_officer_api")
        if name == VERIFIER:
            return integrator(VERIFY_SCOPE)
        if name == UNSCOPED_INTEGRATOR:
            return integrator("credentials:write")
        raise AssertionError(name)

    return make


def one_code(citizen_api):
    response = citizen_api.post(ONE_CODE)
    assert response.status_code == 201, response.content
    return response.json()["token"]


def verify(client, token):
    return client.post(VERIFY, {"token": token}, format="json")


def assert_problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


# Permission matrices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 201),
        (OTHER_CITIZEN, 201),  # their own code
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (VERIFIER, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_one_code_permissions(caller, who, status):
    assert caller(who).post(ONE_CODE).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 403),
        (OTHER_CITIZEN, 403),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (VERIFIER, 200),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_verify_permissions(caller, citizen_api, who, status):
    # given
    token = one_code(citizen_api)
    # when
    response = verify(caller(who), token)
    # then
    assert response.status_code == status
    assert AccessLogEntry.objects.count() == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (ANONYMOUS, 401),
        (OWNER, 201),
        (OTHER_CITIZEN, 404),
        (OFFICER, 403),
        (OTHER_OFFICER, 403),
        (VERIFIER, 403),
        (UNSCOPED_INTEGRATOR, 403),
    ],
)
def test_share_permissions(caller, wallet, who, status):
    response = caller(who).post(f"{CREDENTIALS}/{wallet['transit'].pk}/share", {}, format="json")
    assert response.status_code == status


# The code itself ---------------------------------------------------------------------------


def test_one_code_is_a_token_valid_60_seconds_with_its_qr_code(citizen_api, clock):
    # when
    response = citizen_api.post(ONE_CODE)
    # then
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at", "ttl_seconds", "qr_svg", "qr_png"}
    assert body["ttl_seconds"] == 60
    expected = datetime.datetime.fromtimestamp(clock.now + 60, tz=datetime.UTC)
    assert datetime.datetime.fromisoformat(body["expires_at"]) == expected
    assert body["qr_svg"].startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert body["qr_png"].startswith("data:image/png;base64,")
    png = base64.b64decode(body["qr_png"].removeprefix("data:image/png;base64,"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(body["token"]) < 200  # small enough for a QR code a gate reads at a glance
    # the images encode exactly the token
    assert body["qr_svg"] == onecode.qr_svg(body["token"])
    assert body["qr_png"] == onecode.qr_png_data_uri(body["token"])


def test_every_code_is_different(citizen_api, clock):
    assert one_code(citizen_api) != one_code(citizen_api)


def test_the_token_carries_no_personal_data(citizen_api, person, clock):
    token = one_code(citizen_api)
    payload = signing.loads(token, salt=onecode.SALT)
    assert set(payload) == {"k", "s", "n", "x"}
    assert payload["s"] == person.pseudonym
    assert person.legal_name_latin not in token


# Verification ------------------------------------------------------------------------------


def test_accepted_within_its_lifetime(citizen_api, transit_verifier, clock):
    # given
    token = one_code(citizen_api)
    # when
    clock.advance(59)
    response = verify(transit_verifier, token)
    # then
    assert response.status_code == 200
    assert response.json()["valid"] is True


@pytest.mark.parametrize("later", [61, 600, 3600])
def test_refused_after_its_lifetime(citizen_api, transit_verifier, clock, later):
    # given
    token = one_code(citizen_api)
    # when
    clock.advance(later)
    response = verify(transit_verifier, token)
    # then
    assert_problem(response, 410, "one_code_expired")
    assert AccessLogEntry.objects.count() == 0


def altered(token: str) -> str:
    position = len(token) // 2
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(altered, id="one character changed"),
        pytest.param(lambda token: token[:-1], id="truncated"),
        pytest.param(lambda token: "garbage", id="garbage"),
        pytest.param(lambda token: token + ":extra", id="extended"),
        pytest.param(
            lambda token: signing.dumps(
                signing.loads(token, salt=onecode.SALT), salt="another-purpose", compress=True
            ),
            id="signed for another purpose",
        ),
        pytest.param(
            lambda token: signing.dumps(
                {"k": "p", "s": "P-FORGED", "n": "x", "x": 2**40}, salt=onecode.SALT, key="guess"
            ),
            id="forged with another key",
        ),
        pytest.param(lambda token: "x" * 600, id="too long"),
    ],
)
def test_refused_when_altered(citizen_api, transit_verifier, clock, tamper):
    # given
    token = one_code(citizen_api)
    # when
    response = verify(transit_verifier, tamper(token))
    # then
    assert_problem(response, 400, "one_code_invalid")
    assert AccessLogEntry.objects.count() == 0


def test_a_missing_token_is_a_field_error(transit_verifier):
    response = transit_verifier.post(VERIFY, {}, format="json")
    assert_problem(response, 400, "validation_error")
    assert [error["field"] for error in response.json()["errors"]] == ["token"]


def test_the_verifier_sees_only_its_scope(citizen_api, transit_verifier, wallet, clock):
    # given
    token = one_code(citizen_api)
    # when
    response = verify(transit_verifier, token)
    # then: "transit card valid", and nothing about the name, the other cards or any number
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "kind": "person",
        "expires_at": response.json()["expires_at"],
        "level_of_assurance": "basic",
        "name": None,
        "credentials": [
            {
                "type": "transit_card",
                "type_name": "Transit card",
                "number_masked": None,
                "status": "active",
                "verified": True,
                "valid": True,
                "valid_from": "2025-01-01",
                "valid_until": "2030-12-31",
            }
        ],
        "credential": None,
    }
    text = response.content.decode()
    for secret in ("TC0000123456", "123456", "LIB778899", "1101990011223", "library", "id_card"):
        assert secret not in text


def test_a_verifier_allowed_the_name_learns_it(citizen_api, integrator, person, wallet, clock):
    # given
    client = integrator(VERIFY_SCOPE, reveals_name=True)
    token = one_code(citizen_api)
    # when
    body = verify(client, token).json()
    # then: the name, but no card types were granted to this client
    assert body["name"] == {"local": person.legal_name_local, "latin": person.legal_name_latin}
    assert body["credentials"] == []


def test_the_level_of_assurance_is_the_holders(citizen_api, person, transit_verifier, clock):
    person.level_of_assurance = LevelOfAssurance.HIGH
    person.save()
    body = verify(transit_verifier, one_code(citizen_api)).json()
    assert body["level_of_assurance"] == "high"


@pytest.mark.parametrize(
    ("card", "valid"),
    [
        ({}, True),
        ({"verification": Credential.Verification.UNVERIFIED, "origin": "holder"}, False),
        ({"status": Credential.Status.SUSPENDED}, False),
        ({"status": Credential.Status.EXPIRED}, False),
        ({"valid_from": datetime.date(2099, 1, 1), "valid_until": None}, False),
    ],
)
def test_a_card_is_valid_only_when_active_current_and_confirmed(
    citizen_api, person, transit_card, transit_verifier, clock, card, valid
):
    CredentialFactory.create(holder=person, type=transit_card, **card)
    (presented,) = verify(transit_verifier, one_code(citizen_api)).json()["credentials"]
    assert presented["valid"] is valid


def test_a_revoked_card_is_not_presented(
    citizen_api, person, transit_card, transit_verifier, clock
):
    CredentialFactory.create(holder=person, type=transit_card, status=Credential.Status.REVOKED)
    assert verify(transit_verifier, one_code(citizen_api)).json()["credentials"] == []


def test_each_verification_shows_in_the_holders_access_log(
    citizen_api, person, agency, transit_verifier, wallet, clock
):
    # given: a gate scans the same code twice within its minute
    token = one_code(citizen_api)
    # when
    first = verify(transit_verifier, token)
    clock.advance(5)
    again = verify(transit_verifier, token)
    # then
    assert first.status_code == again.status_code == 200
    entries = list(AccessLogEntry.objects.order_by("pk"))
    assert len(entries) == 2
    for entry in entries:
        assert entry.person == person
        assert entry.channel == AccessLogEntry.Channel.ONE_CODE
        assert entry.client == transit_verifier.api_client
        assert entry.agency == agency
        assert entry.what == "one code: level of assurance; credential status: transit_card"
        assert entry.purpose == "one-code verification"


def test_the_log_says_when_the_name_was_revealed(citizen_api, integrator, wallet, clock):
    client = integrator(VERIFY_SCOPE, reveals_name=True)
    verify(client, one_code(citizen_api))
    assert AccessLogEntry.objects.get().what == "one code: level of assurance; name"


def test_a_closed_account_is_not_verified(citizen_api, person, transit_verifier, clock):
    token = one_code(citizen_api)
    person.closed_at = timezone.now()
    person.save()
    assert_problem(verify(transit_verifier, token), 400, "one_code_invalid")


# Sharing one card --------------------------------------------------------------------------


def share(citizen_api, credential, **body):
    return citizen_api.post(f"{CREDENTIALS}/{credential.pk}/share", body, format="json")


def test_a_shared_card_is_shown_to_any_verifier_with_its_masked_number(
    citizen_api, integrator, person, wallet, clock
):
    # given: a verifier granted no card types at all
    verifier = integrator(VERIFY_SCOPE)
    response = share(citizen_api, wallet["library"], ttl_seconds=120)
    assert response.status_code == 201
    assert response.json()["ttl_seconds"] == 120
    assert response.json()["qr_svg"].startswith("<svg")
    # when
    clock.advance(119)
    verified = verify(verifier, response.json()["token"])
    # then
    assert verified.status_code == 200
    assert verified.json() == {
        "valid": True,
        "kind": "credential",
        "expires_at": verified.json()["expires_at"],
        "level_of_assurance": None,
        "name": None,
        "credentials": [],
        "credential": {
            "type": "library_card",
            "type_name": "Library card",
            "number_masked": "*****8899",
            "status": "active",
            "verified": True,
            "valid": True,
            "valid_from": "2025-01-01",
            "valid_until": "2030-12-31",
        },
    }
    assert "LIB778899" not in verified.content.decode()
    (entry,) = AccessLogEntry.objects.all()
    assert (entry.person, entry.channel, entry.client) == (person, "one_code", verifier.api_client)
    assert entry.what == "shared credential library_card *****8899"


def test_a_shared_card_expires_with_its_share(citizen_api, transit_verifier, wallet, clock):
    token = share(citizen_api, wallet["transit"], ttl_seconds=30).json()["token"]
    clock.advance(31)
    assert_problem(verify(transit_verifier, token), 410, "one_code_expired")


def test_a_share_lasts_five_minutes_unless_told(citizen_api, wallet, clock):
    assert share(citizen_api, wallet["transit"]).json()["ttl_seconds"] == 300


@pytest.mark.parametrize(
    ("ttl", "code"), [(601, "max_value"), (0, "min_value"), ("soon", "invalid")]
)
def test_a_share_lasts_at_most_ten_minutes(citizen_api, wallet, ttl, code):
    response = share(citizen_api, wallet["transit"], ttl_seconds=ttl)
    assert_problem(response, 400, "validation_error")
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("ttl_seconds", code)]


def test_a_revoked_card_cannot_be_shared(citizen_api, person, transit_card):
    card = CredentialFactory.create(holder=person, type=transit_card, status="revoked")
    assert_problem(share(citizen_api, card), 409, "credential_revoked")


def test_a_card_revoked_after_sharing_shows_as_revoked(
    citizen_api, integrator, transit_verifier, wallet, clock
):
    token = share(citizen_api, wallet["transit"]).json()["token"]
    integrator("credentials:write").post(f"{CREDENTIALS}/{wallet['transit'].pk}/revoke")
    shown = verify(transit_verifier, token).json()["credential"]
    assert (shown["status"], shown["valid"]) == ("revoked", False)


def test_a_one_code_cannot_pass_for_a_share_nor_the_reverse(person, wallet):
    """The kind is inside the signed payload: a person code's subject is never read as a card."""
    person_code = onecode.sign_person_code(person.pseudonym)
    card_code = onecode.sign_credential_code(wallet["transit"].pk, 60)
    assert onecode.read_code(person_code.token).kind == "person"
    assert onecode.read_code(card_code.token).kind == "credential"
