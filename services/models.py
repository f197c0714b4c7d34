"""The service catalogue and applications: services offered by agencies, the rule sets that
decide applications in seconds, the applications themselves with their history and decision
records, life-event bundles and proactive offers.

Statuses are TextChoices whose values are the words the API shows. State changes go through
services.actions; the transition table lives in services.states.
"""

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.models import (
    Agency,
    Business,
    Credential,
    CredentialType,
    Jurisdiction,
    LevelOfAssurance,
    Mandate,
    Person,
)


class Category(models.Model):
    """A theme of the catalogue: family, health, housing, transport, business…"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class LifeEvent(models.Model):
    """A moment in life that needs several services: having a baby, moving house, starting a
    business, retiring."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, default="person",
        choices=[("person", _("people")), ("business", _("businesses"))],
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """One public service an agency offers: what it is, who may use it, what it needs and costs,
    and how applications for it are decided."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        RETIRED = "retired", _("retired")

    class ApprovalMode(models.TextChoices):
        MANUAL = "manual", _("manual (an officer decides)")
        AUTOMATIC = "automatic", _("automatic (seconds approval)")
        PROACTIVE = "proactive", _("proactive (offered to those who qualify)")

    class Channel(models.TextChoices):
        APP = "app", _("app")
        WEB = "web", _("web")
        OFFICE = "office", _("office")
        PHONE = "phone", _("phone")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(
        _("code"), max_length=60, help_text=_("Unique within the jurisdiction; used in URLs.")
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="services"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT,
        related_name="services",
        help_text=_("Where the service is offered; it covers the jurisdictions below it too."),
    )  # fmt: skip
    also_offered_in = models.ManyToManyField(
        Jurisdiction, verbose_name=_("also offered in"), blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Comma-separated search words.")
    )
    categories: "models.ManyToManyField[Category, Any]" = models.ManyToManyField(
        Category, verbose_name=_("categories"), blank=True, related_name="services"
    )
    life_events: "models.ManyToManyField[LifeEvent, Any]" = models.ManyToManyField(
        LifeEvent, verbose_name=_("life events"), blank=True, related_name="services"
    )
    for_persons = models.BooleanField(_("for people"), default=True)
    for_businesses = models.BooleanField(_("for businesses"), default=False)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    processing_time = models.DurationField(
        _("processing time"), null=True, blank=True,
        help_text=_("How long a decision normally takes (shown as an ISO 8601 duration)."),
    )  # fmt: skip
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    minimum_level_of_assurance = models.CharField(
        _("minimum level of assurance"), max_length=12, choices=LevelOfAssurance.choices,
        default=LevelOfAssurance.BASIC,
    )  # fmt: skip
    approval_mode = models.CharField(
        _("approval mode"), max_length=10, choices=ApprovalMode.choices,
        default=ApprovalMode.MANUAL,
    )  # fmt: skip
    input_schema = models.JSONField(
        _("application form (JSON Schema)"), default=dict, blank=True,
        help_text=_("JSON Schema (draft 2020-12) of the application data."),
    )  # fmt: skip
    manual_deadline = models.DurationField(
        _("deadline for manual handling"), default=timedelta(days=5),
        help_text=_("How long officers have to decide an application sent to them."),
    )  # fmt: skip
    prefill = models.JSONField(
        _("prefill"), default=dict, blank=True,
        help_text=_(
            'Form field → person attribute, e.g. {"full_name": "legal_name_local"}; read under '
            "the applicant's consent or the legal basis below."
        ),
    )  # fmt: skip
    prefill_legal_attributes = models.JSONField(
        _("attributes the legal basis allows"), default=list, blank=True,
        help_text=_("Person attributes the legal basis lets the agency read without consent."),
    )  # fmt: skip
    fee_biller = models.ForeignKey(
        "payments.Biller", verbose_name=_("biller of the fee"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    output_credential_type = models.ForeignKey(
        CredentialType, verbose_name=_("credential issued on approval"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    output_validity = models.DurationField(
        _("validity of the issued credential"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Tokens of the name, summary, keywords and description in all three languages (Thai and
    # Chinese segmented), kept by services.search; PostgreSQL indexes it for full-text search.
    search_document = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    if TYPE_CHECKING:  # the columns django-modeltranslation adds (services/translation.py)
        name_en: str
        name_th: str
        name_zh_hans: str
        summary_en: str
        summary_th: str
        summary_zh_hans: str
        description_en: str
        description_th: str
        description_zh_hans: str
        keywords_en: str
        keywords_th: str
        keywords_zh_hans: str

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "code"], name="service_code_unique_per_jurisdiction"
            ),
            models.CheckConstraint(
                condition=Q(for_persons=True) | Q(for_businesses=True),
                name="service_has_an_audience",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "approval_mode"], name="service_status_idx"),
            # Search results whose names hold every word come shortest name first: walking
            # this index finds the first page of a common word without ranking every match.
            models.Index(Length("name_en"), F("id"), name="service_name_length_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audience(self) -> list[str]:
        return [
            kind
            for kind, on in (("person", self.for_persons), ("business", self.for_businesses))
            if on
        ]

    @property
    def is_open_for_applications(self) -> bool:
        return self.status == self.Status.ACTIVE


class Fee(models.Model):
    """What an application costs, in minor units, for a period. Zero is allowed (a free service
    that says so)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="fees")
    description = models.CharField(_("description"), max_length=200, blank=True)
    amount_minor = models.BigIntegerField(
        _("amount (minor units)"), validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("currency"), max_length=3, default="THB")
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        ordering = ["service", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="fee_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="fee_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency}"

    def is_valid_on(self, day: Any) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)


class EvidenceRequirement(models.Model):
    """A document an application needs. When a wallet credential type satisfies it, the
    applicant points at their card instead of uploading anything ("never ask twice")."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="evidence")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    credential_type = models.ForeignKey(
        CredentialType, verbose_name=_("satisfied by credential"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    accepts_upload = models.BooleanField(_("accepts an upload"), default=True)
    is_required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("required evidence")
        verbose_name_plural = _("required evidence")
        ordering = ["service", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="evidence_code_unique"),
            models.CheckConstraint(
                condition=Q(accepts_upload=True) | Q(credential_type__isnull=False),
                name="evidence_can_be_satisfied",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Rules ------------------------------------------------------------------------------------


class RuleSet(models.Model):
    """A version of the checks that decide a service's applications. One published rule set is
    in force at a time; a published one is never edited (a new version is drafted instead)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        RETIRED = "retired", _("retired")

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="rule_sets"
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    effective_from = models.DateTimeField(_("effective from"), default=timezone.now)
    effective_until = models.DateTimeField(_("effective until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="rule_set_version_unique"),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_until__gt=models.F("effective_from")),
                name="rule_set_effective_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} v{self.version}"

    def is_effective_at(self, at: Any) -> bool:
        return self.effective_from <= at and (
            self.effective_until is None or at < self.effective_until
        )


class Check(models.Model):
    """One check of a rule set: a JsonLogic expression that must hold, and what it means when
    it does not."""

    class OnFail(models.TextChoices):
        REJECT = "reject", _("reject the application")
        MANUAL_REVIEW = "manual_review", _("send to an officer")
        REQUEST_EVIDENCE = "request_evidence", _("ask the applicant for evidence")

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="checks")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.SlugField(_("code"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    expression = models.JSONField(_("expression (JsonLogic)"))
    on_fail = models.CharField(_("on failure"), max_length=20, choices=OnFail.choices)
    reason_template = models.CharField(
        _("reason"), max_length=500,
        help_text=_("Shown to the applicant when the check fails; {{variable}} inserts a value."),
    )  # fmt: skip
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    if TYPE_CHECKING:  # the columns django-modeltranslation adds (services/translation.py)
        title_en: str
        title_th: str
        title_zh_hans: str
        reason_template_en: str
        reason_template_th: str
        reason_template_zh_hans: str

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["rule_set", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="check_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code


class RuleTestCase(models.Model):
    """An example a supervisor keeps on a rule set: this input must give this outcome.
    Publishing is refused while one fails."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        MANUAL_REVIEW = "manual_review", _("manual review")
        RETURNED = "returned", _("returned for evidence")

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="test_cases")
    name = models.CharField(_("name"), max_length=200)
    data = models.JSONField(_("application data"), default=dict, blank=True)
    facts = models.JSONField(
        _("facts about the applicant"), default=dict, blank=True,
        help_text=_('e.g. {"applicant": {"age": 30, "residence": "bkk"}}'),
    )  # fmt: skip
    expected_outcome = models.CharField(
        _("expected outcome"), max_length=20, choices=Outcome.choices
    )
    last_outcome = models.CharField(_("last outcome"), max_length=20, blank=True, editable=False)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("rule test case")
        verbose_name_plural = _("rule test cases")
        ordering = ["rule_set", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def passed(self) -> bool | None:
        if not self.last_outcome:
            return None
        return self.last_outcome == self.expected_outcome


# Applications -----------------------------------------------------------------------------


class Application(models.Model):
    """A request for a service by a person or a business (the party), made by them or by a
    representative under a mandate."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        AWAITING_PAYMENT = "awaiting_payment", _("awaiting payment")
        CHECKING = "checking", _("checking")
        MANUAL_REVIEW = "manual_review", _("manual review")
        RETURNED = "returned", _("returned to the applicant")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class DecidedBy(models.TextChoices):
        RULES = "rules", _("the rules (automatic)")
        OFFICER = "officer", _("an officer")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="applications"
    )
    # The party: a person (the applicant or a child they represent) or a business.
    applicant = models.ForeignKey(
        Person, verbose_name=_("applicant"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications",
    )  # fmt: skip
    business = models.ForeignKey(
        Business, verbose_name=_("business"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications",
    )  # fmt: skip
    submitted_by = models.ForeignKey(
        Person, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    mandate = models.ForeignKey(
        Mandate, verbose_name=_("under mandate"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    # {field: {"value", "source"}} as read by prefill when the application was made.
    prefilled = models.JSONField(_("prefilled"), default=dict, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    bundle_application = models.ForeignKey(
        "BundleApplication", null=True, blank=True, on_delete=models.PROTECT,
        related_name="applications",
    )  # fmt: skip
    offer = models.OneToOneField(
        "Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="application"
    )
    bill = models.ForeignKey(
        "payments.Bill", verbose_name=_("fee bill"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    # How many times it was submitted: the first time, and again after each return.
    round = models.PositiveSmallIntegerField(_("submission round"), default=0)
    decided_by = models.CharField(
        _("decided by"), max_length=10, choices=DecidedBy.choices, blank=True
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    review_requested = models.BooleanField(_("human review requested"), default=False)
    deadline = models.DateTimeField(_("deadline for manual handling"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    issued_credential = models.ForeignKey(
        Credential, verbose_name=_("issued credential"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(applicant__isnull=False, business__isnull=True)
                | Q(applicant__isnull=True, business__isnull=False),
                name="application_for_exactly_one_party",
            ),
            # An offer is accepted into one application only.
            models.UniqueConstraint(
                fields=["offer"], condition=Q(offer__isnull=False), name="application_per_offer"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="application_queue_idx"),
            # Deciding runs take the applications in `checking`, oldest first.
            models.Index(
                fields=["id"], condition=Q(status="checking"), name="application_checking_idx"
            ),
            models.Index(fields=["applicant", "-id"], name="application_applicant_idx"),
            models.Index(fields=["business", "-id"], name="application_business_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.MANUAL_REVIEW
            and self.deadline is not None
            and self.deadline < timezone.now()
        )


class ApplicationEvent(models.Model):
    """One transition in an application's history: from, to, who, why. Append-only."""

    class ActorKind(models.TextChoices):
        APPLICANT = "applicant", _("applicant")
        OFFICER = "officer", _("officer")
        SYSTEM = "system", _("system")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Application.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Application.Status.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application history")
        ordering = ["application", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class Upload(models.Model):
    """A file a citizen uploaded for later use as evidence; type and size checked on upload.
    Unused uploads are deleted after a day."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="uploads")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self) -> str:
        return self.original_name


class Evidence(models.Model):
    """A piece of evidence on an application: an upload, or a wallet credential."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="evidence")
    requirement = models.ForeignKey(EvidenceRequirement, on_delete=models.PROTECT, related_name="+")
    upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["application", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(upload__isnull=False, credential__isnull=True)
                | Q(upload__isnull=True, credential__isnull=False),
                name="evidence_is_upload_or_credential",
            ),
        ]

    def __str__(self) -> str:
        return self.requirement.code


class DecisionRecord(models.Model):
    """The explanation of an automatic decision: which rule set version, what it read and from
    where, each check's result and the values it used, the outcome, the reasons in the
    applicant's language, and how long it took. One per application and submission round."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        MANUAL_REVIEW = "manual_review", _("manual review")
        RETURNED = "returned", _("returned for evidence")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    round = models.PositiveSmallIntegerField()
    rule_set = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule_set_version = models.PositiveIntegerField(null=True, blank=True)
    # {"data": {...}, "applicant": {...}, "sources": {"applicant.age": "registry", ...}}
    inputs = models.JSONField(default=dict)
    # [{"code", "title", "result": pass|fail|missing|error, "on_fail", "values": {...},
    #   "missing": [...], "error": "...", "legal_basis"}]
    checks = models.JSONField(default=list)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    language = models.CharField(max_length=10, default="en")
    reasons = models.JSONField(default=list)  # in `language`
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    queued_ms = models.PositiveIntegerField(default=0)  # from submission to the worker's start
    duration_ms = models.PositiveIntegerField(default=0)  # the evaluation itself

    class Meta:
        verbose_name = _("decision record")
        verbose_name_plural = _("decision records")
        ordering = ["application", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round"], name="decision_once_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.round}: {self.outcome}"


# Bundles and offers ----------------------------------------------------------------------


class Bundle(models.Model):
    """ "One thing": the services one life event needs, applied for in one submission."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    life_event = models.ForeignKey(
        LifeEvent, verbose_name=_("life event"), on_delete=models.PROTECT, related_name="bundles"
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    input_schema = models.JSONField(
        _("shared form (JSON Schema)"), default=dict, blank=True,
        help_text=_("The shared data; each service receives the fields its own form declares."),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("bundled service")
        verbose_name_plural = _("bundled services")
        ordering = ["bundle", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "service"], name="bundle_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle.code}: {self.service.code}"


class BundleApplication(models.Model):
    """One submission of a bundle; it made one application per bundled service."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bundle application")
        verbose_name_plural = _("bundle applications")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.bundle.code} {self.public_id}"


class Offer(models.Model):
    """A proactive service offered to a person the rules found eligible, before they asked."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("offered")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="offers")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="offers")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    data = models.JSONField(default=dict, blank=True)  # what the application will be filled with
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-pk"]
        constraints = [
            # A person is offered a service once; an offer they declined is not repeated.
            models.UniqueConstraint(fields=["service", "person"], name="offer_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} → {self.person}"


class OfferRun(models.Model):
    """Progress of one pass of eligibility over all persons for a proactive service. A run
    resumes from `last_person_id` after a crash."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offer_runs")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    last_person_id = models.BigIntegerField(default=0)
    persons_checked = models.PositiveIntegerField(default=0)
    offers_made = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("offer run")
        verbose_name_plural = _("offer runs")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service"], condition=Q(status="running"), name="one_running_offer_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.code} {self.started_at:%Y-%m-%d %H:%M}"
