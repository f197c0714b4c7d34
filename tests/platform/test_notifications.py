"""Notifications: a message lands in the inbox in the recipient's language, then goes out by
email and SMS once, however often delivery runs."""

import pytest
from django.core import mail
from django.utils.translation import gettext_lazy as _

from cityportal.notifications.actions import deliver_pending_messages, notify
from cityportal.notifications.models import Message
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_a_notice_is_written_in_the_inbox_and_sent_by_email_and_sms(
    sms_outbox, django_capture_on_commit_callbacks
):
    # given
    person = PersonFactory.create(contact_phone="+66812345678")
    # when (eager tasks deliver on commit)
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(
            person=person,
            kind="test.hello",
            title=_("Approved: %(service)s (%(reference)s)"),
            context={"service": lambda: "Library card", "reference": "APP-1"},
            link="/api/v1/applications/x",
        )
    # then
    assert message is not None
    message.refresh_from_db()
    assert message.title == "Approved: Library card (APP-1)"
    assert message.delivery == "sent"
    assert message.channels == ["email", "sms"]
    assert [m.to for m in mail.outbox] == [[person.contact_email]]
    assert [m.to for m in sms_outbox] == ["+66812345678"]


def test_the_same_dedupe_key_writes_one_message():
    person = PersonFactory.create()

    first = notify(person=person, kind="k", title="Hello", dedupe_key="once")
    second = notify(person=person, kind="k", title="Hello", dedupe_key="once")

    assert first is not None
    assert second is None
    assert Message.objects.filter(recipient=person).count() == 1


def test_delivering_twice_sends_once(django_capture_on_commit_callbacks):
    person = PersonFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(person=person, kind="k", title="Hello")
    assert message is not None
    mail.outbox.clear()

    sent = deliver_pending_messages()

    assert sent == 0

    assert mail.outbox == []


def test_one_run_sends_every_pending_message(django_capture_on_commit_callbacks):
    # given: three messages committed together
    people = PersonFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=False):
        for person in people:
            notify(person=person, kind="k", title="Hello")
    # when
    sent = deliver_pending_messages()
    # then
    assert sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.contact_email for p in people)
    assert set(Message.objects.values_list("delivery", flat=True)) == {"sent"}


def test_a_person_without_email_or_phone_has_the_inbox_only(django_capture_on_commit_callbacks):
    person = PersonFactory.create(contact_email="", user=None)

    with django_capture_on_commit_callbacks(execute=True):
        message = notify(person=person, kind="k", title="Hello")

    assert message is not None
    message.refresh_from_db()
    assert (message.delivery, message.channels) == ("inbox_only", [])


def test_a_run_sends_its_emails_over_one_connection(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend

    senders = []
    send_messages = EmailBackend.send_messages

    def recording(self, messages):
        senders.append(id(self))
        return send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", recording)
    # given: three messages committed together
    with django_capture_on_commit_callbacks(execute=False):
        for person in PersonFactory.create_batch(3):
            notify(person=person, kind="k", title="Hello")
    # when
    assert deliver_pending_messages() == 3
    # then: three emails through one connection (one SMTP session in production)
    assert len(mail.outbox) == 3
    assert len(senders) == 3
    assert len(set(senders)) == 1


def test_a_message_sent_by_one_channel_skips_the_others(
    sms_outbox, django_capture_on_commit_callbacks
):
    # given someone reachable by email and SMS
    person = PersonFactory.create(contact_phone="+66812345678")
    # when a message is to be sent by SMS only
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(person=person, kind="k", title="Hello", send_by=["sms"])
    # then
    assert message is not None
    message.refresh_from_db()
    assert (message.delivery, message.channels) == ("sent", ["sms"])
    assert mail.outbox == []
    assert [m.to for m in sms_outbox] == ["+66812345678"]


def test_a_message_for_the_inbox_only_queues_no_delivery(django_capture_on_commit_callbacks):
    person = PersonFactory.create(contact_phone="+66812345678")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = notify(person=person, kind="k", title="Hello", send_by=[])

    assert message is not None
    assert callbacks == []
    message.refresh_from_db()
    assert (message.delivery, message.channels, message.send_by) == ("inbox_only", [], [])
    assert deliver_pending_messages() == 0
    assert mail.outbox == []
