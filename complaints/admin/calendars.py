"""Staff screens for working calendars: a jurisdiction's working weekdays and hours, with its
public holidays inline (names in English, Thai and Chinese).

Platform administrators edit calendars; agency staff may look at them (identity/roles.py).
A calendar serves every agency of its jurisdiction and of the jurisdictions below it, so no
single agency's supervisor changes it.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from complaints.models import PublicHoliday, WorkingCalendar

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class WorkingCalendarForm(forms.ModelForm):
    working_weekdays = forms.TypedMultipleChoiceField(
        label=_("working weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WorkingCalendar
        fields = ("jurisdiction", "working_weekdays", "day_starts", "day_ends")

    def clean_working_weekdays(self) -> list[int]:
        return sorted(set(self.cleaned_data["working_weekdays"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("day_starts"), cleaned.get("day_ends")
        if (starts is None) != (ends is None):
            raise forms.ValidationError(
                _("Give both the start and the end of the working day, or neither."),
                code="hours_both_or_none",
            )
        if starts is not None and ends is not None and ends <= starts:
            self.add_error(
                "day_ends",
                forms.ValidationError(
                    _("The working day must end after it starts."), code="hours_reversed"
                ),
            )
        return cleaned


class PublicHolidayInline(TranslationTabularInline):
    model = PublicHoliday
    extra = 1
    fields = ("date", "kind", "name")
    ordering = ("date",)


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin):
    form = WorkingCalendarForm
    inlines = [PublicHolidayInline]
    list_display = ("jurisdiction", "weekdays", "hours")
    list_filter = ("jurisdiction",)
    list_select_related = ("jurisdiction",)
    autocomplete_fields = ("jurisdiction",)

    @admin.display(description=_("working weekdays"))
    def weekdays(self, calendar: WorkingCalendar) -> str:
        names = dict(WEEKDAYS)
        return ", ".join(str(names[day]) for day in calendar.working_weekdays if day in names)

    @admin.display(description=_("working hours"))
    def hours(self, calendar: WorkingCalendar) -> str:
        if calendar.day_starts is None or calendar.day_ends is None:
            return str(_("whole day"))
        return f"{calendar.day_starts:%H:%M}–{calendar.day_ends:%H:%M}"
