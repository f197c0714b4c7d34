"""Admin screens: accounts, jurisdictions, agencies, businesses, memberships, mandates, API clients."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from identity.models import User


@admin.register(User)
class CityPortalUserAdmin(UserAdmin):
    pass
