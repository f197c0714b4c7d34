"""Complaints: the foundations laid first — working-day calendars for SLA deadlines and district
areas for routing. Categories, complaints, routing rules and escalations build on these."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from identity.models import Jurisdiction


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
    """A day off in a calendar (a public holiday, or a substitute day)."""

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)

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
