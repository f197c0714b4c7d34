"""A receipt as a PDF, in the payer's language (issue 4: "exactly one per successful payment,
numbered per biller, in the API and as a PDF").

The fonts are committed in payments/fonts/ (with their licences) and embedded in every PDF, so
rendering needs nothing from the system: Noto Sans for Latin, Noto Sans Thai for Thai and Droid
Sans Fallback for Chinese, chained with fpdf2's fallback fonts so a line may mix all three.
"""

import datetime
import zoneinfo
from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from payments.models import Receipt

FONTS = Path(__file__).resolve().parent / "fonts"
# family → {style: file}; the first family is the main one, the others are fallbacks.
FONT_FILES = {
    "NotoSans": {"": "NotoSans-Regular.ttf", "B": "NotoSans-Bold.ttf"},
    "NotoSansThai": {"": "NotoSansThai-Regular.ttf", "B": "NotoSansThai-Bold.ttf"},
    "DroidSansFallback": {"": "DroidSansFallbackFull.ttf"},
}
# ISO 4217 minor-unit exponents that differ from the usual 2.
CURRENCY_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3}


def currency_exponent(currency: str) -> int:
    """How many decimals the currency's minor unit has (ISO 4217); 2 unless listed."""
    return CURRENCY_EXPONENTS.get(currency.upper(), 2)


def format_amount(amount_minor: int, currency: str) -> str:
    """12345 THB → "123.45 THB"; 1200 JPY → "1,200 JPY"."""
    exponent = currency_exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), 10**exponent)
    decimals = f".{minor:0{exponent}d}" if exponent else ""
    return f"{sign}{major:,}{decimals} {currency}"


def issued_at_text(receipt: Receipt) -> str:
    """In the biller's jurisdiction's time zone when it has one, else UTC; the zone is named."""
    agency = receipt.biller.agency
    zone_name = agency.jurisdiction.time_zone if agency is not None else "UTC"
    try:
        zone: datetime.tzinfo = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone_name, zone = "UTC", datetime.UTC
    return f"{timezone.localtime(receipt.issued_at, zone):%Y-%m-%d %H:%M} ({zone_name})"


def _payer_name(receipt: Receipt, language: str) -> str:
    payer = receipt.attempt.payer
    if payer is None:
        return ""
    names = [payer.legal_name_local, payer.legal_name_latin]
    if language == "en":
        names.reverse()
    return next((name for name in names if name), str(payer))


def _new_pdf() -> FPDF:
    pdf = FPDF(format="A4")
    for family, styles in FONT_FILES.items():
        for style, filename in styles.items():
            pdf.add_font(family, style, str(FONTS / filename))
    pdf.set_fallback_fonts(list(FONT_FILES)[1:], exact_match=False)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    return pdf


def render_receipt_pdf(receipt: Receipt, language: str, *, compress: bool = True) -> bytes:
    """The receipt as a PDF in `language` (labels and the biller's name). `compress=False`
    leaves the text readable in the bytes, for tests."""
    with translation.override(language):
        pdf = _new_pdf()
        pdf.set_compression(compress)
        pdf.set_lang(language)
        # The number alone: the same in every language, and findable in the file's metadata.
        pdf.set_title(receipt.number)
        pdf.set_subject(str(_("Receipt %(number)s") % {"number": receipt.number}))
        pdf.set_author(receipt.biller.name)
        pdf.set_creator("CityPortal")
        pdf.add_page()
        width = pdf.epw

        pdf.set_font("NotoSans", "B", 18)
        pdf.cell(width, 10, receipt.biller.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("NotoSans", "", 13)
        pdf.cell(width, 8, _("Receipt"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)

        rows = [
            (_("Receipt number"), receipt.number),
            (_("Issued at"), issued_at_text(receipt)),
            (_("Paid by"), _payer_name(receipt, language)),
            (_("Amount paid"), format_amount(receipt.amount_minor, receipt.currency)),
            (_("Payment reference"), str(receipt.attempt.public_id)),
        ]
        label_width = 55
        for label, value in rows:
            pdf.set_font("NotoSans", "B", 10)
            pdf.cell(label_width, 7, label)
            pdf.set_font("NotoSans", "", 10)
            pdf.multi_cell(width - label_width, 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(6)

        pdf.set_font("NotoSans", "B", 10)
        pdf.cell(width - 50, 8, _("Bill number"), border="B")
        pdf.cell(50, 8, _("Amount"), border="B", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("NotoSans", "", 10)
        allocations = receipt.attempt.allocations.select_related("bill").order_by("pk")
        for allocation in allocations:
            pdf.cell(width - 50, 7, allocation.bill.number)
            pdf.cell(
                50, 7, format_amount(allocation.amount_minor, receipt.currency), align="R",
                new_x=XPos.LMARGIN, new_y=YPos.NEXT,
            )  # fmt: skip
        pdf.set_font("NotoSans", "B", 10)
        pdf.cell(width - 50, 8, _("Total"), border="T")
        pdf.cell(
            50, 8, format_amount(receipt.amount_minor, receipt.currency), border="T", align="R",
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip
        return bytes(pdf.output())
