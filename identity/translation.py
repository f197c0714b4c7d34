"""Names shown to citizens and staff, in English, Thai and Simplified Chinese
(django-modeltranslation adds name_en, name_th and name_zh_hans columns)."""

from modeltranslation.translator import TranslationOptions, register

from identity.models import Agency, CredentialType, Jurisdiction


@register(Jurisdiction)
class JurisdictionTranslation(TranslationOptions):
    fields = ("name",)


@register(Agency)
class AgencyTranslation(TranslationOptions):
    fields = ("name",)


@register(CredentialType)
class CredentialTypeTranslation(TranslationOptions):
    fields = ("name",)
