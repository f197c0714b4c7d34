"""Catalogue content in English, Thai and Simplified Chinese (django-modeltranslation adds a
column per language: name_en, name_th, name_zh_hans…)."""

from modeltranslation.translator import TranslationOptions, register

from services.models import (
    Bundle,
    Category,
    Check,
    EvidenceRequirement,
    Fee,
    LifeEvent,
    Service,
)


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name",)


@register(LifeEvent)
class LifeEventTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = ("name", "summary", "description", "keywords")


@register(Fee)
class FeeTranslation(TranslationOptions):
    fields = ("description",)


@register(EvidenceRequirement)
class EvidenceRequirementTranslation(TranslationOptions):
    fields = ("name",)


@register(Check)
class CheckTranslation(TranslationOptions):
    fields = ("title", "reason_template")


@register(Bundle)
class BundleTranslation(TranslationOptions):
    fields = ("name", "description")
