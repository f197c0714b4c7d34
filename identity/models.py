"""Identity: accounts, persons, jurisdictions and organisations, mandates, the credentials
wallet, consents, the citizen-readable access log and integrator credentials."""

import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.crypto import EncryptedTextField
from identity.national_id import Scheme


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="invalid_time_zone")


class User(AbstractUser):
    """The login account of a citizen, a business representative or a staff member."""

    # NULL, not "", for "no phone": uniqueness applies only to accounts that have one.
    phone = models.CharField(_("phone (E.164)"), max_length=16, null=True, blank=True, unique=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    # Permission checks without an object are answered from the union of what the sign-in
    # backends grant (Django's, allauth's and the agency roles'), read once per account object,
    # that is once per request, as each backend already caches its own: Django asks every
    # backend anew for each check, and the admin's sidebar alone makes a hundred. Each of these
    # backends grants a permission without an object exactly when it is among its
    # get_all_permissions() (tests/identity/test_roles.py holds the two ways to agree).

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        if obj is not None:
            return super().has_perm(perm, obj)
        return (self.is_active and self.is_superuser) or perm in self._granted()[0]

    def has_module_perms(self, app_label: str) -> bool:
        return (self.is_active and self.is_superuser) or app_label in self._granted()[1]

    def _granted(self) -> tuple[set[str], set[str]]:
        """The permissions the backends grant, and their apps."""
        granted: tuple[set[str], set[str]] | None = getattr(self, "_granted_cache", None)
        if granted is None:
            permissions = self.get_all_permissions()
            granted = (permissions, {perm.partition(".")[0] for perm in permissions})
            self._granted_cache = granted
        return granted


class Jurisdiction(models.Model):
    """A province, city or district; carries its own time zone and languages."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        DISTRICT = "district", _("district")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )  # fmt: skip
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Bangkok", validators=[validate_time_zone]
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    national_id_scheme = models.CharField(
        _("national ID scheme"), max_length=20, choices=Scheme.choices, default=Scheme.TH_CITIZEN
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True)
                | Q(~Q(level="province"), parent__isnull=False),
                name="jurisdiction_only_provinces_are_roots",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors_and_self(self) -> list["Jurisdiction"]:
        chain: list[Jurisdiction] = []
        node: Jurisdiction | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT,
        related_name="agencies",
    )  # fmt: skip
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Business(models.Model):
    class RegistrationScheme(models.TextChoices):
        CN_USCC = "cn_uscc", _("unified social credit code (China)")
        REGISTRATION = "registration", _("registration number")

    name = models.CharField(_("name"), max_length=300)
    registration_scheme = models.CharField(
        _("registration scheme"), max_length=20, choices=RegistrationScheme.choices
    )
    registration_number = models.CharField(_("registration number"), max_length=40)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        constraints = [
            models.UniqueConstraint(
                fields=["registration_scheme", "registration_number"],
                name="business_registration_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A staff user's role in an agency."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("officer")
        SUPERVISOR = "supervisor", _("supervisor")
        DISPATCHER = "dispatcher", _("dispatcher")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="memberships",
    )  # fmt: skip
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency} · {self.get_role_display()}"


class LevelOfAssurance(models.TextChoices):
    BASIC = "basic", _("basic (self-asserted)")
    SUBSTANTIAL = "substantial", _("substantial (matched against the population registry)")
    HIGH = "high", _("high (checked in person)")


LOA_ORDER = {LevelOfAssurance.BASIC: 0, LevelOfAssurance.SUBSTANTIAL: 1, LevelOfAssurance.HIGH: 2}


class AttributeSource(models.TextChoices):
    SELF = "self", _("self-asserted")
    REGISTRY = "registry", _("population registry")
    OFFICER = "officer", _("officer")


class Person(models.Model):
    """A natural person known to government: a citizen with an account, or someone (a child)
    represented by one. Sources of each attribute are kept in `attribute_sources`."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="person",
    )  # fmt: skip
    legal_name_local = models.CharField(_("legal name (local script)"), max_length=200, blank=True)
    legal_name_latin = models.CharField(_("legal name (Latin script)"), max_length=200, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=16, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    residence = models.ForeignKey(
        Jurisdiction, verbose_name=_("residence"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="residents",
    )  # fmt: skip
    level_of_assurance = models.CharField(
        _("level of assurance"), max_length=12, choices=LevelOfAssurance.choices,
        default=LevelOfAssurance.BASIC,
    )  # fmt: skip
    national_id_scheme = models.CharField(
        _("national ID scheme"), max_length=20, choices=Scheme.choices, blank=True
    )
    national_id = EncryptedTextField(_("national ID number"), null=True, blank=True)
    # NULL, not "", for "no number": the unique constraint must ignore persons without one.
    national_id_index = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    national_id_masked = models.CharField(_("national ID number"), max_length=20, blank=True)
    attribute_sources = models.JSONField(_("attribute sources"), default=dict, blank=True)
    pseudonym = models.CharField(_("pseudonym"), max_length=40, unique=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.UniqueConstraint(
                fields=["national_id_index"],
                condition=Q(national_id_index__isnull=False),
                name="person_national_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(national_id_index__isnull=True) | ~Q(national_id_scheme=""),
                name="person_national_id_has_scheme",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name_latin or self.legal_name_local or self.pseudonym

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.pseudonym:
            self.pseudonym = f"P-{secrets.token_hex(8).upper()}"
        super().save(*args, **kwargs)

    def source_of(self, attribute: str) -> str:
        return str(self.attribute_sources.get(attribute, {}).get("source", AttributeSource.SELF))

    def meets(self, level: str) -> bool:
        return (
            LOA_ORDER[LevelOfAssurance(self.level_of_assurance)]
            >= LOA_ORDER[LevelOfAssurance(level)]
        )


class AssuranceChange(models.Model):
    """Each change of a person's level of assurance: how, by whom, when. Append-only."""

    class Method(models.TextChoices):
        REGISTRY_MATCH = "registry_match", _("matched against the population registry")
        IN_PERSON = "in_person", _("checked in person by an officer")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assurance_changes")
    from_level = models.CharField(max_length=12, choices=LevelOfAssurance.choices)
    to_level = models.CharField(max_length=12, choices=LevelOfAssurance.choices)
    method = models.CharField(max_length=20, choices=Method.choices)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("assurance change")
        verbose_name_plural = _("assurance changes")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.from_level} → {self.to_level}"


class RegistryRecord(models.Model):
    """The population registry's own record (the database-backed registry adapter)."""

    scheme = models.CharField(max_length=20, choices=Scheme.choices)
    national_id = EncryptedTextField(_("national ID number"))
    national_id_index = models.CharField(max_length=64, unique=True, editable=False)
    legal_name_local = models.CharField(max_length=200)
    legal_name_latin = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField()
    address = models.TextField(blank=True)
    household_id = models.CharField(max_length=40, blank=True)
    jurisdiction = models.ForeignKey(Jurisdiction, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("population registry record")
        verbose_name_plural = _("population registry records")

    def __str__(self) -> str:
        return self.legal_name_local


class Mandate(models.Model):
    """A person may act for a business, or for another person (a child), within a scope."""

    representative = models.ForeignKey(
        Person, verbose_name=_("representative"), on_delete=models.CASCADE,
        related_name="mandates_held",
    )  # fmt: skip
    for_person = models.ForeignKey(
        Person, verbose_name=_("for person"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="mandates_given",
    )  # fmt: skip
    for_business = models.ForeignKey(
        Business, verbose_name=_("for business"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="mandates",
    )  # fmt: skip
    scope = models.JSONField(
        _("scope"), default=list, help_text=_('e.g. ["applications", "payments"] or ["*"]')
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [
            models.CheckConstraint(
                condition=Q(for_person__isnull=False, for_business__isnull=True)
                | Q(for_person__isnull=True, for_business__isnull=False),
                name="mandate_for_exactly_one_party",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="mandate_valid_until_after_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.representative} → {self.for_person or self.for_business}"

    def is_active(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return (
            self.revoked_at is None
            and self.valid_from <= at
            and (self.valid_until is None or at < self.valid_until)
        )

    def covers(self, scope: str) -> bool:
        return "*" in self.scope or scope in self.scope


class CredentialType(models.Model):
    """ID card, driving licence, health- and social-insurance, transit and library cards, and
    types agencies add."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    issuer = models.ForeignKey(
        Agency, verbose_name=_("default issuer"), null=True, blank=True, on_delete=models.PROTECT
    )
    visible_digits = models.PositiveSmallIntegerField(_("digits shown when masked"), default=4)

    class Meta:
        verbose_name = _("credential type")
        verbose_name_plural = _("credential types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Credential(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    class Origin(models.TextChoices):
        ISSUER = "issuer", _("issued by the agency")
        HOLDER = "holder", _("added by the holder")

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", _("unverified")
        VERIFIED = "verified", _("verified by the issuer")
        REJECTED = "rejected", _("rejected by the issuer")

    holder = models.ForeignKey(
        Person, verbose_name=_("holder"), on_delete=models.CASCADE, related_name="credentials"
    )
    type = models.ForeignKey(CredentialType, verbose_name=_("type"), on_delete=models.PROTECT)
    issuer = models.ForeignKey(Agency, verbose_name=_("issuer"), on_delete=models.PROTECT)
    number = EncryptedTextField(_("number"))
    number_index = models.CharField(max_length=64, editable=False)
    number_masked = models.CharField(_("number"), max_length=40)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    verification = models.CharField(
        _("verification"), max_length=12, choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "number_index"],
                condition=~Q(status="revoked"),
                name="credential_number_unique_per_type",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="credential_valid_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="credential_expiry_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.number_masked}"

    def is_valid_on(self, day: Any) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )


class Consent(models.Model):
    """The citizen lets an agency use named attributes for one purpose until a date."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT)
    attributes = models.JSONField(_("attributes"))
    purpose = models.CharField(_("purpose"), max_length=300)
    valid_until = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.person} → {self.agency}: {self.purpose}"

    def is_active(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and at < self.valid_until


class ApiClient(models.Model):
    """An integrator (agency system, partner app, biller) with scoped API credentials. Only a
    SHA-256 of the secret is stored; the secret is shown once, when created or rotated."""

    class Scope(models.TextChoices):
        CREDENTIALS_WRITE = "credentials:write", _("issue and revoke credentials")
        ONE_CODE_VERIFY = "one-code:verify", _("verify one codes")
        PERSONS_READ = "persons:read", _("read person records under consent")
        BILLS_WRITE = "bills:write", _("push bills")
        REFUNDS_WRITE = "refunds:write", _("refund payments")
        OPEN311_WRITE = "open311:write", _("post Open311 service requests")
        COMPLAINTS_READ = "complaints:read", _("read the agency's complaints")
        COMPLAINTS_WRITE = "complaints:write", _("update the agency's complaints")

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="api_clients"
    )
    name = models.CharField(_("name"), max_length=200)
    client_id = models.CharField(_("client id"), max_length=40, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    credential_types = models.ManyToManyField(
        CredentialType, verbose_name=_("credential types it may see"), blank=True,
        help_text=_("What a one-code verification reveals to this client."),
    )  # fmt: skip
    reveals_name = models.BooleanField(
        _("may learn the holder's name"), default=False,
        help_text=_("Off: a verification says only whether the credentials are valid."),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_authenticated(self) -> bool:  # lets DRF treat a client as an authenticated principal
        return True

    def has_scope(self, scope: str) -> bool:
        return self.is_active and self.revoked_at is None and scope in self.scopes


class AccessLogEntry(models.Model):
    """Who read a person's record, when and why. Append-only: no update or delete, enforced by
    the model and, on PostgreSQL, by a trigger."""

    class Channel(models.TextChoices):
        ADMIN = "admin", _("staff in admin")
        API = "api", _("staff through the API")
        INTEGRATOR = "integrator", _("an integrator")
        ONE_CODE = "one_code", _("one-code verification")
        SYSTEM = "system", _("the platform")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_log")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    # PROTECT, not SET_NULL: entries are never updated (a trigger refuses it on PostgreSQL), so
    # staff, clients and agencies that appear in a log are deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=200)
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT)
    what = models.CharField(_("what"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=300)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.what}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Access log entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Access log entries are never deleted.")


class DataExport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("failed")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    content = models.JSONField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.person} {self.requested_at:%Y-%m-%d}"
