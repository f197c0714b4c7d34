"""Serializers of the citizens' complaints API: the shapes of reports, of a citizen's view of a
complaint, of the category tree, of nearby complaints and of category suggestions. They check
shape only; complaints.actions.intake checks the rules."""

import json
import re
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import Complaint, Question
from complaints.queries import CategoryNode, short_description
from complaints.states import can_move

S = Complaint.Status
REPORTER_ACTIONS = ["withdraw", "rate"]
FOLLOWER_ACTIONS = ["unfollow"]
CITIZEN_ACTIONS = REPORTER_ACTIONS + FOLLOWER_ACTIONS
RATING_STATES = [
    ("not_open", _("not open: the complaint is not resolved")),
    ("open", _("open: the reporter may rate the resolution now")),
    ("rated", _("rated")),
    ("unrated", _("closed without a rating")),
]


# Reporting --------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "Answers to the category's questions by question code: a number, an "
        "ISO 8601 date-time with offset, text, a choice key, or a list of choice keys. In a "
        "multipart request, this object as a JSON string.",
        "example": {"depth": 12, "near": ["school"]},
    }
)
class AnswersField(serializers.Field):
    """An object of answers; in multipart forms it arrives as a JSON string."""

    default_error_messages = {
        "invalid": _("Give the answers as a JSON object by question code."),
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class ComplaintCreateInput(serializers.Serializer):
    jurisdiction = serializers.SlugField(max_length=40, help_text="The jurisdiction's code.")
    category = serializers.SlugField(
        max_length=40,
        help_text="The code of a leaf category (GET /api/v1/complaints/categories).",
    )
    description = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=20_000,
        help_text="What is wrong, up to 4,000 characters.",
    )  # fmt: skip
    latitude = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True,
        help_text="WGS 84, with longitude; inside the jurisdiction.",
    )  # fmt: skip
    longitude = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True
    )
    address = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000,
        help_text="Up to 300 characters; needed when no point is given.",
    )  # fmt: skip
    answers = AnswersField(required=False, default=dict)
    contact_preference = serializers.ChoiceField(
        choices=Complaint.ContactPreference.choices,
        required=False,
        default=Complaint.ContactPreference.INBOX,
        help_text="How the agency reaches the reporter. email, sms and phone need the "
        "reporter's address or number (on their profile, or given here). Updates always "
        "reach the app's inbox; with email or sms they are also sent that way.",
    )
    is_anonymous = serializers.BooleanField(
        required=False, default=False,
        help_text="Report without a name, where the category allows it. A caller who is not "
        "signed in always reports anonymously.",
    )  # fmt: skip
    contact_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    contact_email = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    contact_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="JPEG or PNG files (multipart, the field repeated); they are re-encoded "
        "without location or camera metadata.",
    )


# The plain path's limits are the serializer's own, read from its fields.
_DECLARED: dict[str, Any] = ComplaintCreateInput._declared_fields
_CODES = ("jurisdiction", "category")
_TEXT_DEFAULTS = ("address", "contact_name", "contact_email", "contact_phone")
_MAX_LENGTH = {
    name: _DECLARED[name].max_length for name in (*_CODES, "description", *_TEXT_DEFAULTS)
}
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_COORDINATE = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,15})?")
# What DRF's CharField refuses besides length: NUL and lone surrogates.
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
_PREFERENCES = frozenset(_DECLARED["contact_preference"].choices)


def well_formed_report(data: Any) -> dict[str, Any] | None:
    """ComplaintCreateInput's validated data for a JSON report that plainly fits it (the
    shape nearly every report has), without building the serializer's fields for each
    request; None for anything else, which the serializer then judges and words the errors
    of. Returns exactly what the serializer would (tests/complaints/test_intake_api.py)."""
    if type(data) is not dict or data.get("photos", []) != []:  # multipart (a QueryDict), files
        return None
    body: dict[str, Any] = {}
    for name in _CODES:
        code = data.get(name)
        if not (isinstance(code, str) and len(code) <= _MAX_LENGTH[name] and _SLUG.fullmatch(code)):
            return None
        body[name] = code
    description = data.get("description")
    if not (
        isinstance(description, str) and len(description) <= _MAX_LENGTH["description"]
        and not _UNSAFE_TEXT.search(description)
    ):  # fmt: skip
        return None
    body["description"] = description
    for name in ("latitude", "longitude"):
        if name in data:
            value = data[name]
            if value is not None and not (isinstance(value, str) and _COORDINATE.fullmatch(value)):
                return None
            body[name] = None if value is None else Decimal(value)
    for name in _TEXT_DEFAULTS:
        text = data.get(name, "")
        # The serializer trims these: one with spaces around it is left to it.
        if not isinstance(text, str) or len(text) > _MAX_LENGTH[name] or text != text.strip():
            return None
        if _UNSAFE_TEXT.search(text):
            return None
        body[name] = text
    answers = data.get("answers", {})
    preference = data.get("contact_preference", Complaint.ContactPreference.INBOX)
    is_anonymous = data.get("is_anonymous", False)
    if not (
        type(answers) is dict and isinstance(preference, str) and preference in _PREFERENCES
        and type(is_anonymous) is bool
    ):  # fmt: skip
        return None
    body.update(
        answers=answers, contact_preference=preference, is_anonymous=is_anonymous, photos=[]
    )
    return body


class ComplaintLinksOutput(serializers.Serializer):
    self = serializers.CharField(required=False, help_text="The reporter's view (signed in).")
    track = serializers.CharField(
        required=False, help_text="The anonymous reporter's view, with the secret token."
    )


class ComplaintCreatedOutput(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=S.choices)
    tracking_token = serializers.CharField(
        allow_null=True,
        help_text="Anonymous reports only: the secret to follow it with. Shown this once; keep it.",
    )
    links = ComplaintLinksOutput()


# A citizen's view of a complaint --------------------------------------------------------------


class CitizenCategoryRefOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the language asked for with Accept-Language.")


class CitizenAgencyOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CitizenComplaintSummaryOutput(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=S.choices)
    category = CitizenCategoryRefOutput()
    jurisdiction = serializers.CharField(source="jurisdiction.code")
    description = serializers.SerializerMethodField(help_text="Its first 140 characters or so.")
    address = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_description(self, complaint: Complaint) -> str:
        return short_description(complaint.description)


class CitizenPhotoOutput(serializers.Serializer):
    url = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, photo: Any) -> str:
        request = self.context.get("request")
        url = photo.image.url
        return request.build_absolute_uri(url) if request is not None else url


class CitizenHistoryEntryOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    status = serializers.ChoiceField(source="to_status", choices=S.choices)
    note = serializers.CharField(help_text="What the agency told the reporter, if anything.")


class CitizenDeadlinesOutput(serializers.Serializer):
    first_contact_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    is_paused = serializers.BooleanField(
        help_text="The clock stands still while the agency waits for the reporter."
    )


class CitizenRatingOutput(serializers.Serializer):
    round = serializers.IntegerField(help_text="0, and one more after each rework.")
    speed = serializers.IntegerField()
    result = serializers.IntegerField()
    attitude = serializers.IntegerField()
    comment = serializers.CharField()
    is_satisfied = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CitizenRatingStateOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=RATING_STATES)
    rate_until = serializers.DateTimeField(allow_null=True)
    ratings = CitizenRatingOutput(many=True, help_text="The reporter's own ratings, by round.")


class CitizenComplaintOutput(CitizenComplaintSummaryOutput):
    """A complaint as its reporter or a follower sees it: never a staff member's name, never
    an internal note, never anyone's contact details."""

    description = serializers.CharField()  # type: ignore[assignment]  # here in full
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    answers = serializers.DictField()
    is_anonymous = serializers.BooleanField()
    agency = CitizenAgencyOutput(allow_null=True, help_text="The agency handling it, once routed.")
    duplicate_of = serializers.CharField(
        source="duplicate_of_number", allow_null=True,
        help_text="The tracking number of the complaint this one duplicates; its updates "
        "reach this one's reporter and followers.",
    )  # fmt: skip
    photos = CitizenPhotoOutput(many=True)
    history = CitizenHistoryEntryOutput(source="public_events", many=True)
    deadlines = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    is_reporter = serializers.BooleanField(
        source="viewer_is_reporter", help_text="false: the caller follows it."
    )
    allowed_actions = serializers.SerializerMethodField()

    @extend_schema_field(CitizenDeadlinesOutput)
    def get_deadlines(self, complaint: Complaint) -> dict[str, Any]:
        return {
            "first_contact_due": complaint.first_contact_due,
            "resolution_due": complaint.resolution_due,
            "is_paused": complaint.paused_at is not None,
        }

    @extend_schema_field(CitizenRatingStateOutput)
    def get_rating(self, complaint: Complaint) -> dict[str, Any]:
        state, until = rating_state(complaint)
        ratings = list(complaint.ratings.all()) if _is_reporter(complaint) else []
        return CitizenRatingStateOutput(
            {"state": state, "rate_until": until, "ratings": ratings}
        ).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(CITIZEN_ACTIONS)))
    def get_allowed_actions(self, complaint: Complaint) -> list[str]:
        if not _is_reporter(complaint):
            return ["unfollow"]
        allowed = []
        if can_move(complaint.status, S.WITHDRAWN, "reporter"):
            allowed.append("withdraw")
        if rating_state(complaint)[0] == "open":
            allowed.append("rate")
        return allowed


def _is_reporter(complaint: Complaint) -> bool:
    return bool(getattr(complaint, "viewer_is_reporter", False))


def rating_state(complaint: Complaint) -> tuple[str, Any]:
    """Where the reporter's rating stands, and until when they may rate."""
    if complaint.status == S.RESOLVED and complaint.resolved_at is not None:
        until = complaint.resolved_at + settings.COMPLAINTS_RATING_WINDOW
        if timezone.now() <= until:
            return "open", until
        return "unrated", None
    if complaint.status == S.CLOSED:
        rated = complaint.closure == Complaint.Closure.RATED
        return ("rated" if rated else "unrated"), None
    return "not_open", None


class ComplaintWithdrawInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MyComplaintsFilterInput(serializers.Serializer):
    followed = serializers.BooleanField(
        required=False, default=False,
        help_text="true: the complaints the caller follows instead of those they reported.",
    )  # fmt: skip
    status = serializers.ChoiceField(choices=S.choices, required=False)


# Following ---------------------------------------------------------------------------------


class FollowOutput(serializers.Serializer):
    tracking_number = serializers.CharField(source="complaint.tracking_number")
    following_since = serializers.DateTimeField(source="created_at")


# Nearby ------------------------------------------------------------------------------------


class NearbyFilterInput(serializers.Serializer):
    jurisdiction = serializers.SlugField(max_length=40)
    category = serializers.SlugField(max_length=40)
    lat = serializers.DecimalField(
        max_digits=None, decimal_places=None, min_value=-90, max_value=90
    )
    lon = serializers.DecimalField(
        max_digits=None, decimal_places=None, min_value=-180, max_value=180
    )


class NearbyComplaintOutput(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=S.choices)
    distance_m = serializers.IntegerField(help_text="From the point asked about, in metres.")
    created_at = serializers.DateTimeField()
    description = serializers.CharField(help_text="The first 140 characters or so.")


# Categories --------------------------------------------------------------------------------


class CategoryTreeFilterInput(serializers.Serializer):
    jurisdiction = serializers.SlugField(max_length=40)


class QuestionValueOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class QuestionAttributeOutput(serializers.Serializer):
    """An extra question, in the shape of an Open311 service-definition attribute."""

    variable = serializers.SerializerMethodField()
    code = serializers.CharField()
    datatype = serializers.ChoiceField(choices=Question.Datatype.choices)
    # `required` as Open311 names it (an attribute of every DRF field, hence locals()).
    locals()["required"] = serializers.BooleanField(source="is_required")
    datatype_description = serializers.CharField()
    order = serializers.IntegerField()
    description = serializers.CharField(help_text="The question itself.")
    values = QuestionValueOutput(source="choices.all", many=True)

    def get_variable(self, question: Question) -> bool:
        return True


CATEGORY_NODE_REF = {"$ref": "#/components/schemas/ComplaintCategoryNodeOutput"}


class ComplaintCategoryNodeOutput(serializers.Serializer):
    """A category of the tree; a leaf (no children) is what citizens report under."""

    code = serializers.CharField(source="category.code")
    name = serializers.CharField(source="category.name")
    description = serializers.CharField(source="category.description")
    is_leaf = serializers.BooleanField()
    allows_anonymous = serializers.BooleanField(source="category.allows_anonymous")
    is_public = serializers.BooleanField(
        source="category.is_public",
        help_text="Reports are published as open data (without personal data) and may be "
        "followed by others.",
    )
    questions = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    @extend_schema_field(QuestionAttributeOutput(many=True))
    def get_questions(self, node: CategoryNode) -> list[dict[str, Any]]:
        if not node.is_leaf:
            return []
        return cast(
            list[dict[str, Any]],
            QuestionAttributeOutput(node.category.questions.all(), many=True).data,
        )

    @extend_schema_field({"type": "array", "items": CATEGORY_NODE_REF})
    def get_children(self, node: CategoryNode) -> list[dict[str, Any]]:
        return cast(
            list[dict[str, Any]], ComplaintCategoryNodeOutput(node.children, many=True).data
        )


# Suggestions -------------------------------------------------------------------------------


class SuggestCategoryInput(serializers.Serializer):
    jurisdiction = serializers.SlugField(max_length=40)
    description = serializers.CharField(max_length=4000)


class CategorySuggestionOutput(serializers.Serializer):
    code = serializers.CharField(source="category.code")
    name = serializers.CharField(source="category.name")
    score = serializers.IntegerField(help_text="How many of its keywords the description holds.")
    matched = serializers.ListField(child=serializers.CharField(), help_text="Those keywords.")
