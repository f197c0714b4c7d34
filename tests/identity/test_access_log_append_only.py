"""Access-log entries are append-only: the model refuses a change or a delete, admin shows them
read-only to everyone (superusers included), and on PostgreSQL a trigger refuses any UPDATE or
DELETE, even in raw SQL. Consents and data exports are read-only in admin too."""

import datetime

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from identity.access import record_access
from identity.models import AccessLogEntry, Consent, DataExport
from tests.conftest import sign_in_to_admin
from tests.factories import PersonFactory, StaffFactory

pytestmark = pytest.mark.django_db

ADMIN = f"/{settings.ADMIN_URL}identity"


@pytest.fixture
def entry(person):
    return record_access(person=person, channel="system", what="date_of_birth", purpose="Prefill")


def entries_snapshot():
    return list(AccessLogEntry.objects.order_by("pk").values())


class TestModel:
    def test_a_saved_entry_cannot_be_saved_again(self, entry):
        entry.purpose = "Something else"
        with pytest.raises(PermissionError, match="never changed"):
            entry.save()
        assert AccessLogEntry.objects.get().purpose == "Prefill"

    def test_an_entry_cannot_be_deleted(self, entry):
        with pytest.raises(PermissionError, match="never deleted"):
            entry.delete()
        assert AccessLogEntry.objects.count() == 1


@pytest.mark.postgres
class TestDatabaseTrigger:
    def test_raw_update_is_refused(self, entry):
        before = entries_snapshot()
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE identity_accesslogentry SET purpose = %s WHERE id = %s",
                ["rewritten", entry.pk],
            )
        assert entries_snapshot() == before

    def test_raw_delete_is_refused(self, entry):
        before = entries_snapshot()
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM identity_accesslogentry WHERE id = %s", [entry.pk])
        assert entries_snapshot() == before

    def test_queryset_update_and_delete_are_refused(self, entry):
        before = entries_snapshot()
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLogEntry.objects.filter(pk=entry.pk).update(purpose="rewritten")
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessLogEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias)
        assert entries_snapshot() == before

    def test_inserting_still_works(self, person):
        record_access(person=person, channel="system", what="a", purpose="b")
        record_access(person=person, channel="system", what="c", purpose="d")
        assert AccessLogEntry.objects.count() == 2


@pytest.fixture
def superuser_browser():
    """A superuser signed in to admin with a second factor, as the admin requires."""
    return sign_in_to_admin(Client(), StaffFactory.create(is_superuser=True))


class TestAdminIsReadOnly:
    @pytest.mark.parametrize("model", ["accesslogentry", "consent", "dataexport"])
    def test_even_a_superuser_cannot_add(self, superuser_browser, model):
        assert superuser_browser.get(f"{ADMIN}/{model}/add/").status_code == 403

    def test_even_a_superuser_cannot_change_or_delete_an_entry(self, superuser_browser, entry):
        # given
        before = entries_snapshot()
        change = f"{ADMIN}/accesslogentry/{entry.pk}/change/"
        # when
        page = superuser_browser.get(change)
        posted = superuser_browser.post(change, {"purpose": "rewritten", "what": "x"})
        deleted = superuser_browser.post(
            f"{ADMIN}/accesslogentry/{entry.pk}/delete/", {"post": "yes"}
        )
        bulk = superuser_browser.post(
            f"{ADMIN}/accesslogentry/",
            {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
        )
        # then: the entry is shown, but nothing can be saved or deleted
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert posted.status_code == 403
        assert deleted.status_code == 403
        assert bulk.status_code in (200, 302)
        assert entries_snapshot() == before

    def test_the_log_is_searchable_by_pseudonym(self, superuser_browser, entry, person):
        other = PersonFactory.create()
        record_access(person=other, channel="system", what="date_of_birth", purpose="Prefill")
        page = superuser_browser.get(f"{ADMIN}/accesslogentry/", {"q": person.pseudonym})
        assert page.status_code == 200
        assert page.context["cl"].result_count == 1
        assert list(page.context["cl"].result_list) == [entry]

    def test_the_log_has_a_date_hierarchy(self, superuser_browser, entry):
        page = superuser_browser.get(
            f"{ADMIN}/accesslogentry/",
            {"at__year": entry.at.year, "at__month": entry.at.month},
        )
        assert page.status_code == 200
        assert page.context["cl"].result_count == 1

    def test_consents_are_shown_but_not_changed(self, superuser_browser, person, agency):
        consent = Consent.objects.create(
            person=person,
            agency=agency,
            attributes=["date_of_birth"],
            purpose="Transit",
            valid_until=timezone.now() + datetime.timedelta(days=30),
        )
        listing = superuser_browser.get(f"{ADMIN}/consent/", {"revoked_at__isempty": "1"})
        change = f"{ADMIN}/consent/{consent.pk}/change/"
        posted = superuser_browser.post(change, {"purpose": "Marketing"})
        deleted = superuser_browser.post(f"{ADMIN}/consent/{consent.pk}/delete/", {"post": "yes"})
        assert listing.status_code == 200
        assert list(listing.context["cl"].result_list) == [consent]
        assert superuser_browser.get(change).status_code == 200
        assert posted.status_code == 403
        assert deleted.status_code == 403
        consent.refresh_from_db()
        assert consent.purpose == "Transit"

    def test_an_export_is_shown_without_its_content(self, superuser_browser, person):
        export = DataExport.objects.create(
            person=person,
            status=DataExport.Status.READY,
            content={"person": {"legal_name_latin": {"value": "Very Personal Name"}}},
            expires_at=timezone.now() + datetime.timedelta(days=7),
        )
        listing = superuser_browser.get(f"{ADMIN}/dataexport/")
        page = superuser_browser.get(f"{ADMIN}/dataexport/{export.pk}/change/")
        assert listing.status_code == page.status_code == 200
        assert b"Very Personal Name" not in listing.content
        assert b"Very Personal Name" not in page.content
        assert person.pseudonym.encode() in page.content
        assert superuser_browser.post(f"{ADMIN}/dataexport/{export.pk}/delete/").status_code == 403
        assert DataExport.objects.filter(pk=export.pk).exists()
