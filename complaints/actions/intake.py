"""Intake: a citizen (signed in, or anonymously where the category allows it) or an integrator
reports a complaint. Everything is checked before anything is stored: the category, the text,
the location (inside one of the jurisdiction's districts when it has any), the answers to the
category's questions, the contact preference and the photos (re-encoded without metadata).
The new complaint is `submitted`; the routing task picks it up right after commit."""

from __future__ import annotations

import datetime
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityportal.errors import field_error
from complaints.actions.routing import request_routing
from complaints.actions.transitions import record_submission
from complaints.errors import AnonymousNotAllowed, InvalidComplaint
from complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    Photo,
    Question,
    hash_tracking_token,
    new_tracking_number,
)
from complaints.photos import InvalidPhoto, clean_photo
from complaints.routing import QuestionSpec, routing_table
from identity.models import ApiClient, Person

DESCRIPTION_MAX = 4000
ADDRESS_MAX = 300
CONTACT_NAME_MAX = 200
STRING_ANSWER_MAX = 300
TEXT_ANSWER_MAX = 4000
COORDINATE_PLACES = Decimal("0.000001")  # as stored: six decimal places, about 10 cm
PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{4,22}")
_TRACKING_NUMBER_ATTEMPTS = 5

Preference = Complaint.ContactPreference
Datatype = Question.Datatype
Errors = list[dict[str, Any]]


@dataclass(frozen=True)
class SubmittedComplaint:
    """The new complaint, and for an anonymous one the secret tracking token: shown to the
    reporter this once, stored only as its hash."""

    complaint: Complaint
    tracking_token: str | None


class _Refused(Exception):
    """An answer that does not fit its question."""

    def __init__(self, code: str, detail: Any) -> None:
        self.code, self.detail = code, detail
        super().__init__(code)


def submit_complaint(
    *,
    category: ComplaintCategory,
    description: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    address: str = "",
    answers: Mapping[str, Any] | None = None,
    contact_preference: str = Preference.INBOX,
    reporter: Person | None = None,
    is_anonymous: bool = False,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    photos: Sequence[UploadedFile] = (),
    channel: str = Complaint.Channel.APP,
    api_client: ApiClient | None = None,
    created_at: datetime.datetime | None = None,
) -> SubmittedComplaint:
    """Take a complaint under an active leaf category: a description, a location (a point
    inside the jurisdiction and/or an address), the answers its questions ask for, a way to
    reach the reporter that matches the contact preference, and at most a few JPEG or PNG
    photos. Anonymous reports only where the category allows them; they keep no personal data
    and get a secret tracking token instead. Raises InvalidComplaint with one error per field,
    or AnonymousNotAllowed; nothing is stored then."""
    _check_category(category)
    if is_anonymous and not category.allows_anonymous:
        raise AnonymousNotAllowed()
    if is_anonymous:
        reporter = None

    errors: Errors = []
    text = _checked_description(description, errors)
    point = _checked_point(latitude, longitude, errors)
    place = (address or "").strip()
    if len(place) > ADDRESS_MAX:
        errors.append(
            field_error(
                "address",
                "max_length",
                _("Keep the address to %(max)s characters.") % {"max": ADDRESS_MAX},
            )
        )
    if point is None and not place and not _has_error(errors, "latitude", "longitude"):
        errors.append(
            field_error(
                "location", "required", _("Give the place on the map, an address, or both.")
            )
        )
    district_id = None
    if point is not None:
        district_id = _district_of(category, point, errors)
    checked_answers = _checked_answers(questions_of(category), answers, "answers", errors)
    contact = _checked_contact(
        preference=contact_preference,
        reporter=reporter,
        is_anonymous=is_anonymous,
        name=contact_name,
        email=contact_email,
        phone=contact_phone,
        errors=errors,
    )
    _check_photo_limits(photos, errors)
    if errors:
        raise InvalidComplaint(errors=errors)
    # Decoding photos is the costly part: only for an otherwise acceptable report.
    cleaned = _cleaned_photos(photos)

    # Every refusal is raised above, before anything is written; the writes need no savepoint
    # of their own inside the caller's transaction (the Idempotency-Key's), which saves two
    # statements on a path that runs fifty times a second.
    with transaction.atomic(savepoint=False):
        token = secrets.token_urlsafe(24) if is_anonymous else None
        at = created_at or timezone.now()
        complaint = _create(
            jurisdiction=category.jurisdiction,
            category=category,
            district_id=district_id,
            description=text,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            address=place,
            answers=checked_answers,
            reporter=reporter,
            is_anonymous=is_anonymous,
            tracking_token_hash=hash_tracking_token(token) if token else None,
            channel=channel,
            api_client=api_client,
            created_at=at,
            updated_at=at,
            **contact,
        )
        if cleaned:
            _store_photos(complaint, cleaned, at)
        if api_client is not None:
            record_submission(complaint, actor_kind=ComplaintEvent.ActorKind.INTEGRATOR)
        else:
            actor = reporter.user if reporter is not None and reporter.user_id else None
            record_submission(complaint, actor_kind=ComplaintEvent.ActorKind.REPORTER, actor=actor)
        transaction.on_commit(request_routing)
    return SubmittedComplaint(complaint=complaint, tracking_token=token)


def validate_answers(
    category: ComplaintCategory, answers: Mapping[str, Any] | None, *, field: str = "answers"
) -> dict[str, Any]:
    """The answers to a category's questions, checked and normalised (numbers as numbers,
    date-times in ISO 8601 with their offset, list answers as lists of choice keys); raises
    InvalidComplaint with one error per question (`<field>.<code>`)."""
    errors: Errors = []
    checked = _checked_answers(questions_of(category), answers, field, errors)
    if errors:
        raise InvalidComplaint(errors=errors)
    return checked


def questions_of(category: ComplaintCategory) -> tuple[QuestionSpec, ...]:
    """The category's questions with their choice keys, from the jurisdiction's routing table
    (no query while it is current)."""
    return routing_table(category.jurisdiction_id).questions.get(category.pk, ())


# The category -------------------------------------------------------------------------------


def _check_category(category: ComplaintCategory) -> None:
    is_leaf = category.pk in routing_table(category.jurisdiction_id).leaf_ids
    if not category.is_active or not is_leaf:
        raise InvalidComplaint(
            errors=[
                field_error(
                    "category",
                    "not_reportable",
                    _("Choose an active category with no categories beneath it."),
                )
            ]
        )


# Text and place ----------------------------------------------------------------------------


def _checked_description(description: str, errors: Errors) -> str:
    text = (description or "").strip()
    if not text:
        errors.append(field_error("description", "required", _("Describe the problem.")))
    elif len(text) > DESCRIPTION_MAX:
        errors.append(
            field_error(
                "description",
                "max_length",
                _("Keep the description to %(max)s characters.") % {"max": DESCRIPTION_MAX},
            )
        )
    return text


def _coordinate(value: Any) -> Decimal | None:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_EVEN)


def _checked_point(latitude: Any, longitude: Any, errors: Errors) -> tuple[Decimal, Decimal] | None:
    """(latitude, longitude), given together and in range, to six decimal places."""
    if latitude is None and longitude is None:
        return None
    together = _("Give latitude and longitude together.")
    if latitude is None:
        errors.append(field_error("latitude", "required", together))
        return None
    if longitude is None:
        errors.append(field_error("longitude", "required", together))
        return None
    lat, lon = _coordinate(latitude), _coordinate(longitude)
    if lat is None or not -90 <= lat <= 90:
        errors.append(
            field_error("latitude", "out_of_range", _("A latitude lies between -90 and 90."))
        )
    if lon is None or not -180 <= lon <= 180:
        errors.append(
            field_error("longitude", "out_of_range", _("A longitude lies between -180 and 180."))
        )
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _district_of(
    category: ComplaintCategory, point: tuple[Decimal, Decimal], errors: Errors
) -> int | None:
    """The district the point lies in; a point outside every district of a jurisdiction that
    has districts is not the jurisdiction's to handle."""
    table = routing_table(category.jurisdiction_id)
    if not table.has_districts:
        return None
    district_id = table.district_at(float(point[0]), float(point[1]))
    if district_id is None:
        errors.append(
            field_error(
                "location",
                "outside_jurisdiction",
                _("This place lies outside the jurisdiction; report it to the authority there."),
            )
        )
    return district_id


def _has_error(errors: Errors, *fields: str) -> bool:
    return any(error["field"] in fields for error in errors)


# Answers ------------------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str | list | tuple) and not value)
        or (isinstance(value, str) and not value.strip())
    )


def _checked_answers(
    questions: Sequence[QuestionSpec], answers: Mapping[str, Any] | None, field: str, errors: Errors
) -> dict[str, Any]:
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        errors.append(
            field_error(field, "invalid_type", _("Give the answers as an object by question."))
        )
        return {}
    by_code = {question.code: question for question in questions}
    for code in answers:
        if code not in by_code:
            errors.append(
                field_error(f"{field}.{code}", "unknown_question", _("No such question."))
            )
    checked: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.code)
        path = f"{field}.{question.code}"
        if _is_blank(value):
            if question.is_required:
                errors.append(field_error(path, "required", _("This question needs an answer.")))
            continue
        try:
            checked[question.code] = _answer(question, value)
        except _Refused as refused:
            errors.append(field_error(path, refused.code, refused.detail))
    return checked


def _answer(question: QuestionSpec, value: Any) -> Any:
    """The normalised answer; _Refused when it does not fit the question."""
    datatype = question.datatype
    if datatype == Datatype.NUMBER:
        return _number(value)
    if datatype == Datatype.DATETIME:
        return _datetime(value)
    if datatype == Datatype.SINGLE:
        key = value if isinstance(value, str) else None
        if key not in question.choices:
            raise _Refused("invalid_choice", _("Choose one of the question's choices."))
        return key
    if datatype == Datatype.MULTI:
        keys = [value] if isinstance(value, str) else value
        if not isinstance(keys, list | tuple) or not all(
            isinstance(key, str) and key in question.choices for key in keys
        ):
            raise _Refused("invalid_choice", _("Choose from the question's choices."))
        return list(dict.fromkeys(keys))  # in the order given, each once
    limit = STRING_ANSWER_MAX if datatype == Datatype.STRING else TEXT_ANSWER_MAX
    if not isinstance(value, str):
        raise _Refused("invalid_type", _("Answer with text."))
    if len(value.strip()) > limit:
        raise _Refused("max_length", _("Keep the answer to %(max)s characters.") % {"max": limit})
    return value.strip()


def _number(value: Any) -> int | float:
    refused = _Refused("invalid_number", _("Answer with a number."))
    if isinstance(value, bool):
        raise refused
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise refused
        return value
    if not isinstance(value, str | Decimal) or len(str(value)) > 40:
        raise refused
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise refused from None
    if not number.is_finite():
        raise refused
    return int(number) if number == number.to_integral_value() else float(number)


def _datetime(value: Any) -> str:
    refused = _Refused(
        "invalid_datetime",
        _("Give a date and time in ISO 8601 with its offset, e.g. 2026-11-18T09:30:00+07:00."),
    )
    if not isinstance(value, str) or len(value) > 40:
        raise refused
    try:
        parsed = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise refused from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise refused
    return parsed.isoformat()


# Contact ------------------------------------------------------------------------------------


def _checked_contact(
    *,
    preference: str,
    reporter: Person | None,
    is_anonymous: bool,
    name: str,
    email: str,
    phone: str,
    errors: Errors,
) -> dict[str, Any]:
    """The contact fields to store. An anonymous report keeps none and is never contacted;
    email, SMS and phone need an address or number (given here, or the reporter's own); the
    inbox needs an account."""
    name, email, phone = (name or "").strip(), (email or "").strip(), (phone or "").strip()
    if preference not in Preference.values:
        errors.append(
            field_error(
                "contact_preference",
                "invalid_choice",
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(Preference.values)},
            )
        )
        return {}
    if is_anonymous:
        for label, value in (("contact_name", name), ("contact_email", email),
                             ("contact_phone", phone)):  # fmt: skip
            if value:
                errors.append(
                    field_error(
                        label, "anonymous", _("An anonymous report keeps no contact details.")
                    )
                )
        if preference not in (Preference.NONE, Preference.INBOX):
            errors.append(_unreachable(_("An anonymous reporter cannot be contacted.")))
        # Nobody to write to: the reporter follows it with the tracking token.
        return {"contact_preference": Preference.NONE}
    if len(name) > CONTACT_NAME_MAX:
        errors.append(
            field_error(
                "contact_name",
                "max_length",
                _("Keep the name to %(max)s characters.") % {"max": CONTACT_NAME_MAX},
            )
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                field_error("contact_email", "invalid", _("Enter a valid email address."))
            )
    if phone and not PHONE.fullmatch(phone):
        errors.append(field_error("contact_phone", "invalid", _("Enter a valid phone number.")))
    reachable = {
        Preference.NONE: True,
        Preference.INBOX: reporter is not None,
        Preference.EMAIL: bool(email or (reporter and reporter.contact_email)),
        Preference.SMS: bool(phone or (reporter and reporter.contact_phone)),
        Preference.PHONE: bool(phone or (reporter and reporter.contact_phone)),
    }
    if not reachable[Preference(preference)]:
        errors.append(
            _unreachable(
                _("Give an email address or phone number to be contacted that way.")
                if reporter is None or preference != Preference.INBOX
                else _("Sign in to be told in the app.")
            )
        )
    return {
        "contact_preference": preference,
        "contact_name": name,
        "contact_email": email or None,
        "contact_phone": phone or None,
    }


def _unreachable(detail: Any) -> dict[str, Any]:
    return field_error("contact_preference", "unreachable", detail)


# Photos -------------------------------------------------------------------------------------


def _check_photo_limits(photos: Sequence[UploadedFile], errors: Errors) -> None:
    most, largest = settings.COMPLAINTS_PHOTOS_MAX, settings.COMPLAINTS_PHOTO_MAX_BYTES
    if len(photos) > most:
        errors.append(
            field_error("photos", "too_many", _("Attach at most %(max)s photos.") % {"max": most})
        )
        return
    for index, photo in enumerate(photos):
        if photo.size is None or photo.size > largest:
            errors.append(
                field_error(
                    f"photos.{index}",
                    "too_large",
                    _("A photo may be at most %(megabytes)s MB.")
                    % {"megabytes": largest // (1024 * 1024)},
                )
            )


def _cleaned_photos(
    photos: Sequence[UploadedFile],
) -> list[tuple[ContentFile[bytes], str, int, int]]:
    cleaned, errors = [], []
    for index, photo in enumerate(photos):
        try:
            cleaned.append(clean_photo(photo))
        except InvalidPhoto as refused:
            errors.append(field_error(f"photos.{index}", refused.code, refused.detail))
    if errors:
        raise InvalidComplaint(errors=errors)
    return cleaned


def _store_photos(
    complaint: Complaint,
    cleaned: list[tuple[ContentFile[bytes], str, int, int]],
    at: datetime.datetime,
) -> None:
    rows = []
    for file, content_type, width, height in cleaned:
        photo = Photo(
            complaint=complaint,
            content_type=content_type,
            width=width,
            height=height,
            size=file.size,
            created_at=at,
        )
        # The stored name is ours (clean_photo named it): nothing of the client's file name.
        photo.image.save(str(file.name), file, save=False)
        rows.append(photo)
    Photo.objects.bulk_create(rows)


# Storing ------------------------------------------------------------------------------------


def _create(**fields: Any) -> Complaint:
    """The complaint under a fresh tracking number; a clash (one in a trillion) draws again."""
    for attempt in range(_TRACKING_NUMBER_ATTEMPTS):
        number = new_tracking_number()
        try:
            with transaction.atomic():
                return Complaint.objects.create(tracking_number=number, **fields)
        except IntegrityError:
            clashed = Complaint.objects.filter(tracking_number=number).exists()
            if not clashed or attempt == _TRACKING_NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
