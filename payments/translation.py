"""Biller and bill-type names in English, Thai and Simplified Chinese."""

from modeltranslation.translator import TranslationOptions, register

from payments.models import Biller, BillType


@register(Biller)
class BillerTranslation(TranslationOptions):
    fields = ("name",)


@register(BillType)
class BillTypeTranslation(TranslationOptions):
    fields = ("name",)
