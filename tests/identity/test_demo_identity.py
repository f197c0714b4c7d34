"""The identity demo data: complete and safe to load twice."""

import pytest

from identity.demo import TRANSIT_CLIENT_ID, TRANSIT_SECRET, seed_identity
from identity.models import Credential, Jurisdiction, Mandate, Person
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_seed_identity_is_idempotent_and_complete(api):
    staff = StaffFactory.create(is_superuser=True)
    seed_identity(staff=staff)
    counts = (Person.objects.count(), Credential.objects.count(), Mandate.objects.count())
    seed_identity(staff=staff)
    assert (Person.objects.count(), Credential.objects.count(), Mandate.objects.count()) == counts
    levels = set(
        Person.objects.filter(user__isnull=False).values_list("level_of_assurance", flat=True)
    )
    assert levels == {"basic", "substantial", "high"}
    assert Jurisdiction.objects.filter(level="district").count() >= 3
    assert Mandate.objects.filter(for_person__isnull=False).count() == 1
    assert Mandate.objects.filter(for_business__isnull=False).count() == 1
    # the printed integrator token authenticates
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {TRANSIT_CLIENT_ID}.{TRANSIT_SECRET}")
    assert api.get("/api/v1/identity/me").status_code == 403  # known, but not a citizen
