"""The receipt of a successful payment as a PDF: who may download it, and that it renders in
every language (payments/receipts.py, payments/api/payments_.py)."""

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from payments.models import Bill, PaymentAttempt, Receipt
from payments.receipts import format_amount, issued_at_text, render_receipt_pdf
from tests.factories import BillFactory
from tests.payments.test_payments_api import PAYMENTS, body_for, pay, settle


@pytest.fixture
def bill(person: Any) -> Bill:
    return BillFactory.create(payer=person, total_minor=123456)


@pytest.fixture
def paid(citizen_api, bill, django_capture_on_commit_callbacks) -> Receipt:
    """A successful payment of `bill` by the citizen, with its receipt."""
    pay(citizen_api, body_for(bill))
    attempt = PaymentAttempt.objects.get()
    settle(APIClient(), attempt, "captured", django_capture_on_commit_callbacks)
    return Receipt.objects.select_related("biller", "attempt").get()


def pdf_url(receipt: Receipt) -> str:
    return f"{PAYMENTS}/{receipt.attempt.public_id}/receipt.pdf"


@pytest.mark.django_db
class TestReceiptPdfApi:
    def test_the_payer_downloads_the_pdf(self, citizen_api, paid):
        # when
        response = citizen_api.get(pdf_url(paid), HTTP_ACCEPT="application/pdf")
        # then
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{paid.number}.pdf"'
        assert response.content.startswith(b"%PDF")

    @pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("other_citizen", 404)])
    def test_nobody_else_downloads_it(self, request, paid, who, status):
        clients = {
            "anonymous": lambda: APIClient(),
            "other_citizen": lambda: request.getfixturevalue("other_citizen_api"),
        }
        # when
        response = clients[who]().get(pdf_url(paid))
        # then
        assert response.status_code == status
        assert response["Content-Type"] == "application/problem+json"

    def test_an_unfinished_payment_has_no_receipt_yet(self, citizen_api, bill):
        # given a started, not yet captured payment
        payment = pay(citizen_api, body_for(bill)).json()
        # when
        response = citizen_api.get(f"{PAYMENTS}/{payment['id']}/receipt.pdf")
        # then
        assert response.status_code == 409
        assert response.json()["code"] == "receipt_not_issued"
        assert Receipt.objects.count() == 0

    def test_an_unknown_payment_is_not_found(self, citizen_api):
        response = citizen_api.get(f"{PAYMENTS}/00000000-0000-0000-0000-000000000000/receipt.pdf")
        assert response.status_code == 404


@pytest.mark.django_db
class TestRenderReceiptPdf:
    @pytest.mark.parametrize("language", ["en", "th", "zh-hans"])
    def test_renders_in_every_language(self, paid, language):
        # given names in the local script
        paid.biller.name_th = "การประปานครหลวง"
        paid.biller.name_zh_hans = "曼谷自来水局"
        paid.biller.save()
        payer = paid.attempt.payer
        payer.legal_name_local = "สมชาย ใจดี 王小明"
        payer.save()
        # when
        pdf = render_receipt_pdf(paid, language, compress=False)
        # then
        assert pdf.startswith(b"%PDF")
        assert paid.number.encode() in pdf  # in the title, and as text
        assert f"/Lang ({language})".encode() in pdf


@pytest.mark.parametrize(
    ("amount_minor", "currency", "expected"),
    [
        (123456, "THB", "1,234.56 THB"),
        (5, "THB", "0.05 THB"),
        (1200, "JPY", "1,200 JPY"),
        (1234, "KWD", "1.234 KWD"),
    ],
)
def test_amounts_follow_the_currencys_minor_unit(amount_minor, currency, expected):
    assert format_amount(amount_minor, currency) == expected


@pytest.mark.django_db
def test_the_issue_time_is_in_the_billers_time_zone(paid, agency):
    # given a biller of an agency in Bangkok, paid at 17:30 UTC
    agency.jurisdiction.time_zone = "Asia/Bangkok"
    agency.jurisdiction.save()
    paid.biller.agency = agency
    paid.biller.save()
    paid.issued_at = datetime.datetime(2025, 3, 1, 17, 30, tzinfo=datetime.UTC)
    # then
    assert issued_at_text(paid) == "2025-03-02 00:30 (Asia/Bangkok)"
