"""Complaint texts shown to people, in English, Thai and Simplified Chinese."""

from modeltranslation.translator import TranslationOptions, register

from complaints.models import (
    ComplaintCategory,
    District,
    PublicHoliday,
    Question,
    QuestionChoice,
)


@register(PublicHoliday)
class PublicHolidayTranslation(TranslationOptions):
    fields = ("name",)


@register(District)
class DistrictTranslation(TranslationOptions):
    fields = ("name",)


@register(ComplaintCategory)
class ComplaintCategoryTranslation(TranslationOptions):
    fields = ("name", "description", "keywords")


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ("description", "datatype_description")


@register(QuestionChoice)
class QuestionChoiceTranslation(TranslationOptions):
    fields = ("name",)
