"""The daily task that expires credentials past their last valid day."""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from cityportal.schedules import PERIODIC_TASKS, ensure_periodic_tasks
from identity.actions.credentials import expire_credentials
from identity.models import Credential
from identity.tasks import expire_credentials_task
from tests.factories import CredentialFactory, CredentialTypeFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 15)
YESTERDAY = TODAY - datetime.timedelta(days=1)


def card(**fields):
    return CredentialFactory.create(valid_from=datetime.date(2020, 1, 1), **fields)


def test_expires_active_cards_whose_last_day_has_passed_and_nothing_else():
    # given
    ended_yesterday = card(valid_until=YESTERDAY)
    ends_today = card(valid_until=TODAY)
    open_ended = card(valid_until=None)
    suspended = card(valid_until=YESTERDAY, status=Credential.Status.SUSPENDED)
    revoked = card(valid_until=YESTERDAY, status=Credential.Status.REVOKED)
    # when
    changed = expire_credentials(today=TODAY)
    # then
    assert changed == 1
    statuses = {c.pk: c.status for c in Credential.objects.all()}
    assert statuses == {
        ended_yesterday.pk: "expired",
        ends_today.pk: "active",
        open_ended.pk: "active",
        suspended.pk: "suspended",  # reinstating it later finds it expired
        revoked.pk: "revoked",
    }


def test_running_again_changes_nothing():
    # given
    expired = card(valid_until=YESTERDAY)
    expire_credentials(today=TODAY)
    expired.refresh_from_db()
    stamped = expired.updated_at
    # when
    changed = expire_credentials(today=TODAY)
    # then
    assert changed == 0
    expired.refresh_from_db()
    assert (expired.status, expired.updated_at) == ("expired", stamped)


def test_the_task_expires_by_todays_date_and_is_idempotent():
    # given
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    expired = card(valid_until=yesterday)
    # when
    first = expire_credentials_task.delay().get()
    second = expire_credentials_task.delay().get()
    # then
    assert (first, second) == (1, 0)
    expired.refresh_from_db()
    assert expired.status == "expired"


def test_an_expired_card_shows_expired_in_the_wallet(citizen_api, person):
    # given
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    expired = card(holder=person, type=CredentialTypeFactory.create(), valid_until=yesterday)
    # when
    expire_credentials_task.delay()
    # then
    response = citizen_api.get(f"/api/v1/identity/credentials/{expired.pk}")
    assert response.json()["status"] == "expired"


def test_the_task_is_scheduled_daily():
    # when
    ensure_periodic_tasks()
    # then
    assert PERIODIC_TASKS["Expire credentials past their validity"] == (
        "identity.tasks.expire_credentials_task",
        1,
        IntervalSchedule.DAYS,
    )
    task = PeriodicTask.objects.get(task="identity.tasks.expire_credentials_task")
    assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.DAYS)
