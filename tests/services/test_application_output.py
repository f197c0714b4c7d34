"""ApplicationOutput renders its declared fields by hand (the hot path of applying and of the
list): it must say exactly what DRF's rendering of the same fields says."""

import datetime
from typing import Any

import pytest
from django.utils import timezone
from django.utils.translation import override
from rest_framework import serializers

from services.api.applications import ApplicationDetailOutput, ApplicationOutput
from tests.factories import ApplicationFactory, BillFactory, BusinessFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _declared_way(application, context):
    return serializers.Serializer.to_representation(
        ApplicationOutput(application, context=context), application
    )


def _cases():
    person = PersonFactory.create()
    business = BusinessFactory.create()
    return [
        ApplicationFactory.create(applicant=person),  # in manual review, no fee
        ApplicationFactory.create(
            applicant=person,
            status="awaiting_payment",
            bill=BillFactory.create(payer=person, paid_minor=1250),
            submitted_at=None,
        ),
        ApplicationFactory.create(
            applicant=None,
            business=business,
            submitted_by=person,
            status="rejected",
            decided_at=timezone.now() - datetime.timedelta(hours=3),
        ),
        ApplicationFactory.create(applicant=person, status="draft", submitted_at=None),
    ]


@pytest.mark.parametrize("as_staff", [False, True])
@pytest.mark.parametrize("language", ["en", "th", "zh-hans"])
def test_the_rendering_by_hand_says_what_the_declared_fields_say(as_staff, language):
    context = {"as_staff": as_staff}
    with override(language):
        for application in _cases():
            by_hand = ApplicationOutput(application, context=context).data

            declared = _declared_way(application, context)
            assert by_hand == declared
            assert list(by_hand) == list(declared)  # in the same order
            assert list(by_hand["service"]) == list(declared["service"])


def test_the_list_renders_each_application_by_hand():
    applications = _cases()

    rendered = ApplicationOutput(applications, many=True).data

    assert rendered == [_declared_way(application, {}) for application in applications]


def test_the_detail_keeps_every_field_it_adds():
    application = _cases()[1]

    detail: Any = ApplicationDetailOutput(application).data

    assert {"data", "history", "decision", "evidence", "fee", "allowed_actions"} <= set(detail)
    assert detail["fee"]["paid_minor"] == 1250
