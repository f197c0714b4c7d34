"""Validators for identity input: E.164 phone numbers, China's unified social credit code."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def validate_e164(value: str) -> None:
    """A phone number in international form (+<country><number>) that exists in its plan."""
    if not value:
        return
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter the number in international form, e.g. +66812345678."), code="invalid_phone"
        ) from None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value or not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("Enter the number in international form, e.g. +66812345678."), code="invalid_phone"
        )


def uscc_check_character(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    """China's 18-character unified social credit code (GB 32100), with its check character."""
    if len(value) != 18 or any(c not in _USCC_ALPHABET for c in value):
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters: digits and capital letters "
                "(without I, O, S, V, Z)."
            ),
            code="invalid_uscc",
        )
    if uscc_check_character(value[:17]) != value[17]:
        raise ValidationError(_("The check character does not match."), code="invalid_uscc")
