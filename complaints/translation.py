"""Complaint texts shown to people, in English, Thai and Simplified Chinese."""

from modeltranslation.translator import TranslationOptions, register

from complaints.models import PublicHoliday


@register(PublicHoliday)
class PublicHolidayTranslation(TranslationOptions):
    fields = ("name",)
