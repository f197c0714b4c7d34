"""Files citizens upload as evidence. The type is read from the file's first bytes, not from
what the client claims; the size is capped (settings.UPLOAD_MAX_BYTES); a file nobody used
as evidence within a day is deleted."""

import datetime
import functools
import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import timezone

from identity.models import Person
from services.errors import FileTooLarge, UnsupportedFileType
from services.models import Evidence, Upload

# Leading bytes → (content type, file extension).
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
UNUSED_FOR = datetime.timedelta(days=1)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, JPEG or PNG file by its first bytes; None otherwise."""
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


@transaction.atomic
def store_upload(*, owner: Person, file: Any) -> Upload:
    """Keep a citizen's file for use as evidence: a PDF, JPEG or PNG up to the size limit."""
    limit = settings.UPLOAD_MAX_BYTES
    if file.size > limit:
        raise FileTooLarge(max_bytes=limit)
    file.seek(0)
    kind = sniff(file.read(8))
    if kind is None:
        raise UnsupportedFileType(accepted=[content_type for _, content_type, _ in SIGNATURES])
    content_type, extension = kind
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    upload = Upload(
        owner=owner,
        original_name=(getattr(file, "name", "") or "upload")[-200:],
        content_type=content_type,
        size=file.size,
        sha256=digest.hexdigest(),
    )
    # The stored name is ours: a client's file name never becomes a path on disk.
    upload.file.save(f"{uuid.uuid4().hex}{extension}", file, save=False)
    upload.save()
    return upload


def delete_unused_uploads(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Uploads older than a day that no application uses are deleted, file and row."""
    cutoff = (now or timezone.now()) - UNUSED_FOR
    stale = (
        Upload.objects.filter(created_at__lt=cutoff)
        .filter(~Exists(Evidence.objects.filter(upload=OuterRef("pk"))))
        .order_by("pk")[:batch]
    )
    deleted = 0
    for upload in stale:
        storage, name = upload.file.storage, upload.file.name
        try:
            with transaction.atomic():
                upload.delete()
        except (ProtectedError, IntegrityError):
            continue  # used as evidence meanwhile
        transaction.on_commit(functools.partial(storage.delete, name))
        deleted += 1
    return deleted
