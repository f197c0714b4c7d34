"""National identification numbers: one validator per scheme, chosen by the jurisdiction.

- `cn_resident`: China's 18-character resident identity number — 6-digit region code, birth
  date YYYYMMDD, 3-digit sequence, and an ISO 7064 MOD 11-2 check character (0-9 or X).
- `th_citizen`: Thailand's 13-digit citizen identification number — a mod-11 check digit.
"""

import datetime
import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from cityportal.errors import DomainError


class Scheme(models.TextChoices):
    CN_RESIDENT = "cn_resident", _("China resident identity card")
    TH_CITIZEN = "th_citizen", _("Thai citizen identification")


class InvalidNationalId(DomainError):
    status = 400
    code = "invalid_national_id"
    title = _("The national ID number is not valid.")


@dataclass(frozen=True)
class NationalId:
    scheme: str
    number: str  # normalised: digits (and a final X for China), no separators

    @property
    def masked(self) -> str:
        return mask(self.number)

    @property
    def birth_date(self) -> datetime.date | None:
        if self.scheme == Scheme.CN_RESIDENT:
            return datetime.date(
                int(self.number[6:10]), int(self.number[10:12]), int(self.number[12:14])
            )
        return None


def mask(number: str, *, visible: int = 4) -> str:
    """Only the last digits show: '1101**********123X' style, length preserved."""
    if len(number) <= visible:
        return "*" * len(number)
    return "*" * (len(number) - visible) + number[-visible:]


_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
# First two digits: the province-level division codes of GB/T 2260.
_CN_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
}  # fmt: skip


def cn_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11]


def th_check_digit(first12: str) -> str:
    total = sum(int(digit) * (13 - index) for index, digit in enumerate(first12))
    return str((11 - total % 11) % 10)


def parse(scheme: str, raw: str, *, today: datetime.date | None = None) -> NationalId:
    """Normalise and validate; raises InvalidNationalId saying what is wrong (never echoing it)."""
    number = re.sub(r"[\s\-]", "", raw or "").upper()
    if scheme == Scheme.CN_RESIDENT:
        _check_cn(number, today or datetime.date.today())
    elif scheme == Scheme.TH_CITIZEN:
        _check_th(number)
    else:
        raise InvalidNationalId(_("Unknown national ID scheme."), reason="scheme")
    return NationalId(scheme=scheme, number=number)


def _check_cn(number: str, today: datetime.date) -> None:
    if len(number) != 18:
        raise InvalidNationalId(_("A resident identity number has 18 characters."), reason="length")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise InvalidNationalId(
            _("Only digits, with X allowed as the last character."), reason="characters"
        )
    if number[:2] not in _CN_PROVINCES or number[2:6] == "0000":
        raise InvalidNationalId(_("The region code is not valid."), reason="region")
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidNationalId(
            _("The birth date in the number is not a real date."), reason="birth_date"
        ) from None
    if born > today or born.year < 1870:
        raise InvalidNationalId(
            _("The birth date in the number is not possible."), reason="birth_date"
        )
    if cn_check_character(number[:17]) != number[17]:
        raise InvalidNationalId(_("The check character does not match."), reason="check_character")


def _check_th(number: str) -> None:
    if len(number) != 13:
        raise InvalidNationalId(_("A Thai identification number has 13 digits."), reason="length")
    if not number.isdigit():
        raise InvalidNationalId(_("Only digits are allowed."), reason="characters")
    if number[0] == "0":
        raise InvalidNationalId(
            _("A Thai identification number does not start with 0."), reason="region"
        )
    if th_check_digit(number[:12]) != number[12]:
        raise InvalidNationalId(_("The check digit does not match."), reason="check_character")
