"""Complaints and requests: categories with their questions and deadlines, district areas and
routing rules, the complaint itself with its append-only history, photos, followers, ratings and
escalations, and the working-day calendars SLA deadlines are counted on."""

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from identity.crypto import EncryptedTextField
from identity.models import Agency, ApiClient, Jurisdiction, Person


def validate_weekdays(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(day, int) and 0 <= day <= 6 for day in value
    ):
        raise ValidationError(
            _("List the days as numbers, Monday 0 to Sunday 6."), code="invalid_weekdays"
        )


class WorkingCalendar(models.Model):
    """When a jurisdiction's agencies work: which weekdays, optionally which hours, and the
    public holidays. SLA deadlines in working days or hours are counted on it, in the
    jurisdiction's time zone."""

    jurisdiction = models.OneToOneField(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.CASCADE,
        related_name="working_calendar",
    )  # fmt: skip
    working_weekdays = models.JSONField(
        _("working weekdays"), default=list, validators=[validate_weekdays],
        help_text=_("Monday 0 … Sunday 6; usually [0, 1, 2, 3, 4]."),
    )  # fmt: skip
    day_starts = models.TimeField(
        _("working day starts"), null=True, blank=True,
        help_text=_("Leave both times empty to count whole days."),
    )  # fmt: skip
    day_ends = models.TimeField(_("working day ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")
        constraints = [
            models.CheckConstraint(
                condition=Q(day_starts__isnull=True, day_ends__isnull=True)
                | Q(
                    day_starts__isnull=False,
                    day_ends__isnull=False,
                    day_ends__gt=models.F("day_starts"),
                ),
                name="calendar_hours_both_or_none",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return str(self.jurisdiction)


class PublicHoliday(models.Model):
    """A day that breaks the weekly pattern: a public holiday (or substitute day off), or a
    make-up working day on a weekend (China's 调休, when a weekend day is worked to bridge a
    holiday week)."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("day off")
        WORKING_DAY = "working_day", _("make-up working day")

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.DAY_OFF)

    if TYPE_CHECKING:  # the columns django-modeltranslation adds (complaints/translation.py)
        name_en: str
        name_th: str
        name_zh_hans: str

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


def validate_geojson_area(value: object) -> None:
    """A GeoJSON Polygon or MultiPolygon geometry, valid as a shape (checked with shapely)."""
    from shapely.geometry import shape

    if not isinstance(value, dict) or value.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError(
            _("Give a GeoJSON Polygon or MultiPolygon geometry."), code="invalid_geometry"
        )
    try:
        geometry = shape(value)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise ValidationError(
            _("The geometry cannot be read: %(error)s"), code="invalid_geometry",
            params={"error": error},
        ) from error  # fmt: skip
    if geometry.is_empty or not geometry.is_valid:
        raise ValidationError(
            _("The area's boundary crosses itself or is empty."), code="invalid_geometry"
        )


class District(models.Model):
    """An area of a jurisdiction used to route complaints: a GeoJSON (multi)polygon in WGS 84
    longitude/latitude. Loaded from GeoJSON in admin."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT,
        related_name="complaint_districts",
    )  # fmt: skip
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    boundary = models.JSONField(_("boundary"), validators=[validate_geojson_area])
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    if TYPE_CHECKING:
        name_en: str
        name_th: str
        name_zh_hans: str

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["jurisdiction", "code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="district_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class DeadlineUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", pgettext_lazy("deadline unit", "working hours")


class ComplaintCategory(models.Model):
    """A node of a jurisdiction's category tree. Leaves are what citizens report under (and
    Open311's services); their settings decide the handling agency, the deadlines, duplicate
    detection, anonymity and publication."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT,
        related_name="complaint_categories",
    )  # fmt: skip
    parent = models.ForeignKey(
        "self", verbose_name=pgettext_lazy("category", "parent"), null=True, blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )  # fmt: skip
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True,
        help_text=_("Comma-separated words that suggest this category when a citizen chooses "
                    "“other”."),
    )  # fmt: skip
    default_agency = models.ForeignKey(
        Agency, verbose_name=_("default agency"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Handles reports no routing rule sends elsewhere; empty: the dispatcher."),
    )  # fmt: skip
    resolution_amount = models.PositiveIntegerField(
        _("resolution deadline"), default=5, validators=[MinValueValidator(1)]
    )
    resolution_unit = models.CharField(
        _("resolution deadline unit"), max_length=14, choices=DeadlineUnit.choices,
        default=DeadlineUnit.WORKING_DAYS,
    )  # fmt: skip
    first_contact_hours = models.PositiveIntegerField(
        _("first contact within (hours)"), default=24, validators=[MinValueValidator(1)]
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (metres)"), default=50, validators=[MaxValueValidator(5000)]
    )
    duplicate_window_days = models.PositiveIntegerField(
        _("duplicate window (days)"), default=14, validators=[MaxValueValidator(365)]
    )
    allows_anonymous = models.BooleanField(_("anonymous reports allowed"), default=False)
    is_public = models.BooleanField(
        _("reports are public"), default=True,
        help_text=_("Published as open data, without personal data, at a coarsened location."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    if TYPE_CHECKING:
        name_en: str
        name_th: str
        name_zh_hans: str
        description_en: str
        description_th: str
        description_zh_hans: str
        keywords_en: str
        keywords_th: str
        keywords_zh_hans: str

    class Meta:
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        ordering = ["jurisdiction", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="category_code_unique"),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")), name="category_not_its_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent_id is not None:
            if self.parent and self.parent.jurisdiction_id != self.jurisdiction_id:
                raise ValidationError(
                    {"parent": _("The parent belongs to another jurisdiction.")}, code="invalid"
                )
            node = self.parent
            while node is not None:
                if self.pk is not None and node.pk == self.pk:
                    raise ValidationError(
                        {"parent": _("A category cannot sit beneath itself.")}, code="invalid"
                    )
                node = node.parent


class Question(models.Model):
    """An extra question of a category: an Open311 service-definition attribute."""

    class Datatype(models.TextChoices):
        STRING = "string", _("short text")
        NUMBER = "number", pgettext_lazy("question type", "number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("long text")
        SINGLE = "singlevaluelist", _("one choice")
        MULTI = "multivaluelist", _("several choices")

    category = models.ForeignKey(
        ComplaintCategory, on_delete=models.CASCADE, related_name="questions"
    )
    code = models.SlugField(_("code"), max_length=40)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices)
    is_required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("question"), max_length=300)
    datatype_description = models.CharField(_("hint"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # Bumped by every save, also one in admin that only changed the choices: the routing
    # table (complaints/routing.py) reads it to know the catalogue changed.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    if TYPE_CHECKING:
        description_en: str
        description_th: str
        description_zh_hans: str
        datatype_description_en: str
        datatype_description_th: str
        datatype_description_zh_hans: str

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="question_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def has_choices(self) -> bool:
        return self.datatype in {self.Datatype.SINGLE, self.Datatype.MULTI}


class QuestionChoice(models.Model):
    """One value of a single- or multi-value question."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    if TYPE_CHECKING:
        name_en: str
        name_th: str
        name_zh_hans: str

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="question_choice_unique"),
        ]

    def __str__(self) -> str:
        return self.key


def validate_optional_weekdays(value: object) -> None:
    if value == []:
        return
    validate_weekdays(value)


def validate_answer_conditions(value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(code, str)
        and (isinstance(want, str | int | float) or (isinstance(want, list) and want))
        for code, want in value.items()
    ):
        raise ValidationError(
            _('Give answers as {"question code": value or [any of these values]}.'),
            code="invalid_answers",
        )


class RoutingRule(models.Model):
    """One routing rule of a jurisdiction. Rules are tried in priority order (lowest first);
    the first whose every condition holds gives the agency. An empty condition matches
    anything; a category condition also matches the categories beneath it."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT,
        related_name="routing_rules",
    )  # fmt: skip
    priority = models.PositiveIntegerField(_("priority"), help_text=_("Lower is tried first."))
    name = models.CharField(_("name"), max_length=200)
    categories = models.ManyToManyField(
        ComplaintCategory, verbose_name=_("categories"), blank=True, related_name="routing_rules"
    )
    districts: "models.ManyToManyField[District, Any]" = models.ManyToManyField(
        District, verbose_name=_("districts"), blank=True, related_name="routing_rules"
    )
    weekdays = models.JSONField(
        _("weekdays"), default=list, blank=True, validators=[validate_optional_weekdays],
        help_text=_("Monday 0 … Sunday 6, local time; empty: every day."),
    )  # fmt: skip
    time_from = models.TimeField(_("from (local time)"), null=True, blank=True)
    time_to = models.TimeField(
        _("until (local time)"), null=True, blank=True,
        help_text=_("Empty: all day. An end before the start spans midnight."),
    )  # fmt: skip
    answers = models.JSONField(
        _("answers"), default=dict, blank=True, validators=[validate_answer_conditions],
        help_text=_('{"question code": value or [any of these values]}; empty: any answers.'),
    )  # fmt: skip
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["jurisdiction", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "priority"], name="routing_rule_priority_unique"
            ),
            models.CheckConstraint(
                condition=Q(time_from__isnull=True, time_to__isnull=True)
                | Q(time_from__isnull=False, time_to__isnull=False),
                name="routing_rule_time_both_or_none",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.priority}. {self.name}"


class EscalationLevel(models.Model):
    """One level of a jurisdiction's escalation ladder: how long after a missed deadline (in
    working hours) an overdue complaint goes up, and to whom."""

    class Target(models.TextChoices):
        AGENCY_SUPERVISORS = "agency_supervisors", _("the handling agency's supervisors")
        OVERSIGHT = "oversight", _("the jurisdiction's oversight agency")

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.CASCADE,
        related_name="escalation_levels",
    )  # fmt: skip
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1)])
    target = models.CharField(_("escalate to"), max_length=20, choices=Target.choices)
    oversight_agency = models.ForeignKey(
        Agency, verbose_name=_("oversight agency"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    delay_hours = models.PositiveIntegerField(
        _("after (working hours past the deadline)"), default=0
    )

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["jurisdiction", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "level"], name="escalation_level_unique"
            ),
            models.CheckConstraint(
                condition=~Q(target="oversight") | Q(oversight_agency__isnull=False),
                name="escalation_oversight_needs_agency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} · {self.level}"


TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone


def new_tracking_number() -> str:
    """A short, unguessable public reference such as C-7KQ4-M9XA."""
    body = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
    return f"C-{body[:4]}-{body[4:]}"


def hash_tracking_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Statuses of complaints still being worked on (complaints.states.ACTIVE), for partial indexes.
ACTIVE_STATUSES = [
    "submitted", "routed", "transferred", "rejected", "accepted", "in_progress", "rework",
]  # fmt: skip


class Complaint(models.Model):
    """A complaint or request: what, where, who reported it (or anonymously), which agency
    handles it, and its deadlines. Status changes only through complaints.actions."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        ROUTED = "routed", _("routed")
        ACCEPTED = "accepted", pgettext_lazy("complaint status", "accepted")
        IN_PROGRESS = "in_progress", _("in progress")
        RESOLVED = "resolved", _("resolved")
        CLOSED = "closed", _("closed")
        REJECTED = "rejected", _("rejected by the agency")
        TRANSFERRED = "transferred", _("transferred")
        DUPLICATE = "duplicate", _("duplicate")
        REWORK = "rework", _("reopened for rework")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Channel(models.TextChoices):
        APP = "app", _("app or web")
        OPEN311 = "open311", _("Open311")
        STAFF = "staff", _("entered by staff")

    class ContactPreference(models.TextChoices):
        NONE = "none", _("do not contact me")
        INBOX = "inbox", _("in the app")
        EMAIL = "email", _("email")
        PHONE = "phone", _("phone call")
        SMS = "sms", _("text message")

    class Closure(models.TextChoices):
        RATED = "rated", _("rated by the reporter")
        UNRATED = "unrated", _("not rated in time")
        NOT_RATEABLE = "not_rateable", _("no reporter to rate it")

    tracking_number = models.CharField(
        _("tracking number"), max_length=16, unique=True, default=new_tracking_number,
        editable=False,
    )  # fmt: skip
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        ComplaintCategory, verbose_name=_("category"), on_delete=models.PROTECT,
        related_name="complaints",
    )  # fmt: skip
    agency = models.ForeignKey(
        Agency, verbose_name=_("handling agency"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="complaints",
    )  # fmt: skip
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    description = models.TextField(_("description"), validators=[MaxLengthValidator(4000)])
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    contact_preference = models.CharField(
        _("contact preference"), max_length=8, choices=ContactPreference.choices,
        default=ContactPreference.INBOX,
    )  # fmt: skip
    reporter = models.ForeignKey(
        Person, verbose_name=_("reporter"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="complaints",
    )  # fmt: skip
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    tracking_token_hash = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    # Contact given with the report itself (Open311 posts, or a reporter without an account);
    # shown only to the handling agency.
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = EncryptedTextField(_("contact email"), null=True, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.APP
    )
    api_client = models.ForeignKey(
        ApiClient, verbose_name=_("reported through"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="duplicates",
    )  # fmt: skip
    routing_rule = models.ForeignKey(
        RoutingRule, verbose_name=_("routed by rule"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    # Set while the complaint waits in the jurisdiction's dispatch queue (no rule matched, or
    # the agency rejected it); cleared when the dispatcher routes it.
    dispatch_since = models.DateTimeField(
        _("waiting for the dispatcher since"), null=True, blank=True
    )
    first_contact_due = models.DateTimeField(_("first contact due"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("first contact made at"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_on_time = models.BooleanField(_("resolved on time"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure = models.CharField(_("closure"), max_length=12, choices=Closure.choices, blank=True)
    # The SLA clock stops while the agency waits for the reporter; the deadlines move on resume.
    paused_at = models.DateTimeField(_("waiting for the reporter since"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # How many times another agency received it after the first (transfer, or routing again
    # after a rejection): each owes a first contact of its own.
    handovers = models.PositiveSmallIntegerField(_("times handed over"), default=0)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            # The staff queue: an agency's open complaints by deadline.
            models.Index(
                fields=["agency", "status", "resolution_due", "id"], name="complaint_queue"
            ),
            # The dispatcher's and Open311's lists, newest first, per jurisdiction.
            models.Index(
                fields=["jurisdiction", "status", "-created_at"], name="complaint_by_status"
            ),
            models.Index(fields=["-created_at", "-id"], name="complaint_newest"),
            # Duplicates nearby: open ones of a category, recent first.
            models.Index(fields=["category", "-created_at"], name="complaint_category_recent"),
            models.Index(
                fields=["category", "latitude", "longitude"],
                name="complaint_category_place",
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            # The escalation sweep reads only the open ones that have a deadline.
            models.Index(
                fields=["resolution_due"],
                name="complaint_open_due",
                condition=Q(
                    status__in=["routed", "transferred", "accepted", "in_progress", "rework"]
                ),
            ),
            models.Index(
                fields=["first_contact_due"],
                name="complaint_contact_due",
                condition=Q(status__in=["routed", "transferred"]),
            ),
            models.Index(
                fields=["resolved_at"],
                name="complaint_awaiting_rating",
                condition=Q(status="resolved"),
            ),
            models.Index(
                fields=["closed_at"],
                name="complaint_to_anonymise",
                condition=Q(anonymised_at__isnull=True, closed_at__isnull=False),
            ),
            # Routing runs take the complaints waiting for the rules, oldest first.
            models.Index(
                fields=["id"],
                name="complaint_waiting_for_rules",
                condition=Q(status="submitted", dispatch_since__isnull=True),
            ),
            models.Index(
                fields=["jurisdiction", "dispatch_since"],
                name="complaint_dispatch_queue",
                condition=Q(dispatch_since__isnull=False),
            ),
            models.Index(fields=["reporter", "-created_at"], name="complaint_by_reporter"),
            models.Index(fields=["updated_at"], name="complaint_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_anonymous=False) | Q(reporter__isnull=True),
                name="complaint_anonymous_has_no_reporter",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="complaint_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=False) | ~Q(address=""),
                name="complaint_has_location",
            ),
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="complaint_duplicate_has_original",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="complaint_not_duplicate_of_itself"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "in_progress", "resolved", "rework"])
                | Q(agency__isnull=False),
                name="complaint_handled_has_agency",
            ),
            models.CheckConstraint(
                condition=Q(agency__isnull=True) | Q(resolution_due__isnull=False),
                name="complaint_handled_has_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["closed", "duplicate", "withdrawn"])
                | Q(closed_at__isnull=False),
                name="complaint_final_has_closed_at",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def holds_token(self, tracking_token: str | None) -> bool:
        """Whether the secret token is this anonymous complaint's own (compared by hash, in
        constant time)."""
        if not tracking_token or not self.tracking_token_hash:
            return False
        return hmac.compare_digest(self.tracking_token_hash, hash_tracking_token(tracking_token))


class ComplaintEvent(models.Model):
    """One entry in a complaint's history: a status change or a note, who made it, and what
    they said. Append-only (a trigger refuses UPDATE on PostgreSQL). Public entries reach the
    reporter and followers and Open311's updates; internal ones stay with staff."""

    class ActorKind(models.TextChoices):
        REPORTER = "reporter", _("reporter")
        OFFICER = "officer", _("officer")
        DISPATCHER = "dispatcher", _("dispatcher")
        SUPERVISOR = "supervisor", _("supervisor")
        INTEGRATOR = "integrator", _("integrator")
        SYSTEM = "system", _("system")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("from"), max_length=12, choices=Complaint.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=Complaint.Status.choices)
    actor_kind = models.CharField(_("by"), max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("The agency handling the complaint after this entry."),
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True)
    is_public = models.BooleanField(_("shown to the reporter"), default=True)
    at = models.DateTimeField(pgettext_lazy("history entry", "when"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint history entry")
        verbose_name_plural = _("complaint history")
        ordering = ["complaint", "at", "pk"]
        indexes = [models.Index(fields=["at", "id"], name="complaint_event_at")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class PendingAnnouncement(models.Model):
    """The outbox of complaint notices: a public history entry whose audience has not been told
    yet. Written in the entry's transaction and deleted in the transaction that writes its
    inbox messages, so every entry is announced once, in batches, whatever crashes between."""

    event = models.OneToOneField(
        ComplaintEvent, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pending announcement")
        verbose_name_plural = _("pending announcements")

    def __str__(self) -> str:
        return str(self.event_id)


class Photo(models.Model):
    """A photo attached to a complaint, re-encoded on intake so no location metadata is kept."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("image"), upload_to="complaints/%Y/%m/")
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["complaint", "pk"]

    def __str__(self) -> str:
        return self.image.name


class Follower(models.Model):
    """A citizen who follows someone else's complaint instead of filing the same one."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="followers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="followed_complaints")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "person"], name="follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.complaint_id}"


class Rating(models.Model):
    """The reporter's rating of a resolution; one per round (a rework starts a new round)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(_("round"))
    speed = models.PositiveSmallIntegerField(_("speed"))
    result = models.PositiveSmallIntegerField(_("result"))
    attitude = models.PositiveSmallIntegerField(_("attitude"))
    comment = models.TextField(_("comment"), blank=True, validators=[MaxLengthValidator(2000)])
    is_satisfied = models.BooleanField(_("satisfied"))
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["complaint", "round"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "round"], name="rating_once_per_round"),
            models.CheckConstraint(
                condition=Q(speed__range=(1, 5), result__range=(1, 5), attitude__range=(1, 5)),
                name="rating_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} #{self.round}: {self.result}"


class Escalation(models.Model):
    """A complaint taken one level up: recorded once per (deadline kind, round, level), so a
    sweep that runs twice escalates once."""

    class Reason(models.TextChoices):
        FIRST_CONTACT_OVERDUE = "first_contact", _("first contact overdue")
        RESOLUTION_OVERDUE = "resolution", _("resolution overdue")
        DISSATISFIED_AGAIN = "dissatisfied", _("reporter dissatisfied again")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="escalations")
    reason = models.CharField(_("reason"), max_length=14, choices=Reason.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=0)
    level = models.PositiveSmallIntegerField(_("level"))
    target = models.CharField(
        _("escalated to"), max_length=20, choices=EscalationLevel.Target.choices
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("notified agency"), on_delete=models.PROTECT, related_name="+"
    )
    deadline = models.DateTimeField(_("missed deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("escalated at"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "reason", "round", "level"], name="escalate_once_per_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.reason} L{self.level}"


class DispatchQueueComplaint(Complaint):
    """The dispatcher's screen of complaints: those no rule could route and those an agency
    rejected (dispatch_since set), across the jurisdiction. The same rows as Complaint; a proxy
    so that the dispatch queue has its own admin page and permission."""

    class Meta:
        proxy = True
        verbose_name = _("complaint waiting for dispatch")
        verbose_name_plural = _("dispatch queue")
