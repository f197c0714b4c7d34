"""Re-encrypt every encrypted value under the newest FIELD_ENCRYPTION_KEYS key, and with
--reindex recompute the blind indexes under the current BLIND_INDEX_KEY.

Rotate a key: prepend the new key to FIELD_ENCRYPTION_KEYS (keep the old ones), deploy, run this
command, then drop the old key. Change BLIND_INDEX_KEY: deploy the new key and run with --reindex
at once (lookups by number fail until it has run)."""

from typing import Any

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from identity import crypto
from identity.actions.credentials import credential_number_index
from identity.models import Credential, Person, RegistryRecord
from identity.registry import national_id_index

CHUNK = 500


class Command(BaseCommand):
    help = "Re-encrypt sensitive numbers under the newest key; --reindex rebuilds blind indexes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reindex", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        reindex = options["reindex"]
        done = 0
        for model, field, index_field, index in (
            (Person, "national_id", "national_id_index", national_id_index),
            (RegistryRecord, "national_id", "national_id_index", national_id_index),
            (Credential, "number", "number_index", credential_number_index),
        ):
            pks = list(
                model.objects.exclude(**{f"{field}__isnull": True}).values_list("pk", flat=True)
            )
            for start in range(0, len(pks), CHUNK):
                with transaction.atomic():
                    rows = model.objects.select_for_update().filter(
                        pk__in=pks[start : start + CHUNK]
                    )
                    for pk, value in rows.values_list("pk", field):
                        changes = {field: value}  # saving re-encrypts under the newest key
                        if reindex:
                            changes[index_field] = index(value)
                        model.objects.filter(pk=pk).update(**changes)
                        done += 1
        for authenticator in Authenticator.objects.all():
            # allauth's MFA secrets, encrypted by identity.adapters.MfaAdapter
            data = dict(authenticator.data)
            for name in ("secret", "seed"):
                if isinstance(data.get(name), str) and data[name]:
                    data[name] = crypto.rotate(data[name])
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {done} value(s)."))
