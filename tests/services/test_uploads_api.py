"""Evidence uploads: the type read from the content, the size limit, who may upload, and the
removal of uploads nobody used (services/actions/uploads.py, POST /api/v1/uploads)."""

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from services.models import Application, Evidence, EvidenceRequirement, Upload
from services.upload_tasks import delete_unused_uploads_task
from tests.factories import ServiceFactory
from tests.services.applications_support import JPEG, PDF, PNG, UPLOADS, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_MAX_BYTES = 1024


def _upload(client, name: str, content: bytes, content_type: str = "application/pdf"):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(UPLOADS, {"file": file}, format="multipart")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(PDF, "application/pdf"), (JPEG, "image/jpeg"), (PNG, "image/png")],
)
def test_a_pdf_jpeg_or_png_is_kept(citizen_api, person, tmp_path, content, content_type):
    # when the client claims some other type
    response = _upload(citizen_api, "scan.bin", content, content_type="text/plain")
    # then the type is read from the content
    assert response.status_code == 201
    upload = Upload.objects.get()
    assert response.json() == {
        "id": str(upload.public_id),
        "name": "scan.bin",
        "content_type": content_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "created_at": response.json()["created_at"],
    }
    assert upload.owner == person
    assert (tmp_path / upload.file.name).read_bytes() == content


def test_the_clients_file_name_never_becomes_a_path(citizen_api):
    response = _upload(citizen_api, "../../etc/passwd.pdf", PDF)
    assert response.status_code == 201
    upload = Upload.objects.get()
    assert upload.file.name.startswith("evidence/")
    assert ".." not in upload.file.name
    assert upload.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    "content",
    [b"GIF89a" + b"\x00" * 16, b"MZ\x90\x00 an executable", b"<html>%PDF-</html>", b""],
)
def test_another_type_is_refused(citizen_api, content):
    response = _upload(citizen_api, "photo.pdf", content)
    assert response.status_code in (400, 415)
    if content:
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_file_type"
    assert Upload.objects.count() == 0


def test_a_file_too_large_is_refused(citizen_api):
    response = _upload(citizen_api, "big.pdf", PDF + b"\x00" * 1024)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert response.json()["max_bytes"] == 1024
    assert Upload.objects.count() == 0


def test_a_file_is_required(citizen_api):
    response = citizen_api.post(UPLOADS, {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("officer", 403), ("integrator", 403)]
)
def test_only_citizens_upload(request, who, status):
    clients = {
        "anonymous": lambda: APIClient(),
        "officer": lambda: request.getfixturevalue("officer_api"),
        "integrator": lambda: request.getfixturevalue("integrator")(),
    }
    response = _upload(clients[who](), "scan.pdf", PDF)
    assert response.status_code == status
    assert Upload.objects.count() == 0


def test_uploads_nobody_used_within_a_day_are_deleted(
    citizen_api, person, tmp_path, django_capture_on_commit_callbacks
):
    # given an old unused upload, an old one used as evidence and a fresh one
    ids = [_upload(citizen_api, f"{n}.pdf", PDF).json()["id"] for n in range(3)]
    old_unused, old_used, fresh = (Upload.objects.get(public_id=i) for i in ids)
    Upload.objects.filter(pk__in=[old_unused.pk, old_used.pk]).update(created_at=days_ago(2))
    service = ServiceFactory.create()
    requirement = EvidenceRequirement.objects.create(service=service, code="photo", name="Photo")
    application = Application.objects.create(
        reference="APP-T-1", service=service, applicant=person, submitted_by=person
    )
    Evidence.objects.create(application=application, requirement=requirement, upload=old_used)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        deleted = delete_unused_uploads_task.delay().get()
    # then
    assert deleted == 1
    assert set(Upload.objects.values_list("pk", flat=True)) == {old_used.pk, fresh.pk}
    assert not Path(tmp_path / old_unused.file.name).exists()
    assert Path(tmp_path / old_used.file.name).exists()
