"""The population registry behind a small adapter interface. The database-backed adapter reads
RegistryRecord rows (seeded for the demo); a real deployment points POPULATION_REGISTRY_ADAPTER at
an adapter for the government's registry service."""

import datetime
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from identity.crypto import blind_index
from identity.models import RegistryRecord


@dataclass(frozen=True)
class RegistryEntry:
    scheme: str
    national_id: str
    legal_name_local: str
    legal_name_latin: str
    date_of_birth: datetime.date
    address: str
    household_id: str
    jurisdiction_id: int | None


class PopulationRegistry(Protocol):
    def lookup(self, *, scheme: str, national_id: str) -> RegistryEntry | None: ...


def national_id_index(number: str) -> str:
    return blind_index(number, purpose="national_id")


class DatabaseRegistry:
    def lookup(self, *, scheme: str, national_id: str) -> RegistryEntry | None:
        record = RegistryRecord.objects.filter(
            scheme=scheme, national_id_index=national_id_index(national_id)
        ).first()
        if record is None:
            return None
        return RegistryEntry(
            scheme=record.scheme,
            national_id=record.national_id,
            legal_name_local=record.legal_name_local,
            legal_name_latin=record.legal_name_latin,
            date_of_birth=record.date_of_birth,
            address=record.address,
            household_id=record.household_id,
            jurisdiction_id=record.jurisdiction_id,
        )


@cache
def _adapter(path: str) -> PopulationRegistry:
    adapter: PopulationRegistry = import_string(path)()
    return adapter


def population_registry() -> PopulationRegistry:
    return _adapter(settings.POPULATION_REGISTRY_ADAPTER)
