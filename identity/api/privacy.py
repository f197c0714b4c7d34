"""Identity API: consents, the citizen's access log, data exports and account closure (HTTP
only; rules live in identity.actions.privacy)."""

import json
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.pagination import CursorPagination
from cityportal.api.schema import PROBLEM_REF
from cityportal.errors import Conflict, DomainError, NotFound
from identity.actions import privacy
from identity.api.permissions import IsCitizen
from identity.models import AccessLogEntry, Agency, Consent, DataExport

# --- consents ---------------------------------------------------------------------------------


class AgencyBrief(serializers.ModelSerializer[Agency]):
    class Meta:
        model = Agency
        fields = ["code", "name"]


class ConsentOut(serializers.ModelSerializer[Consent]):
    agency = AgencyBrief(read_only=True)
    attributes = serializers.ListField(child=serializers.CharField(), read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Consent
        fields = [
            "id",
            "agency",
            "attributes",
            "purpose",
            "valid_until",
            "created_at",
            "revoked_at",
            "status",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=["active", "revoked", "expired"]))
    def get_status(self, consent: Consent) -> str:
        if consent.revoked_at is not None:
            return "revoked"
        return "active" if consent.is_active() else "expired"


class ConsentIn(serializers.Serializer[Any]):
    agency: serializers.SlugRelatedField[Agency] = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Agency.objects.all(),
        help_text="The agency's code.",
    )
    attributes = serializers.ListField(
        child=serializers.CharField(max_length=80),
        max_length=50,
        help_text=(
            "Any of " + ", ".join(privacy.PERSON_ATTRIBUTES) + ", and credentials as "
            "credential:<type code>."
        ),
    )
    purpose = serializers.CharField(max_length=300)
    valid_until = serializers.DateTimeField(help_text="In the future, at most five years ahead.")


class ConsentListView(ListAPIView[Consent]):
    """Consents I gave, newest first. POST gives a new one."""

    permission_classes = [IsCitizen]
    serializer_class = ConsentOut

    def get_queryset(self) -> Any:
        return Consent.objects.filter(person=self.request.person).select_related("agency")  # type: ignore[attr-defined]

    @extend_schema(request=ConsentIn, responses={201: ConsentOut})
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ConsentIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        consent = privacy.give_consent(
            person=request.person,  # type: ignore[attr-defined]
            agency=data["agency"],
            attributes=data["attributes"],
            purpose=data["purpose"],
            valid_until=data["valid_until"],
        )
        return Response(
            ConsentOut(consent).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("identity:consent", kwargs={**kwargs, "pk": consent.pk})},
        )


class ConsentDetailView(APIView):
    """One of my consents; DELETE revokes it (the record stays, with revoked_at)."""

    permission_classes = [IsCitizen]

    @extend_schema(responses={200: ConsentOut})
    def get(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        consent = (
            Consent.objects.filter(person=request.person, pk=pk)  # type: ignore[attr-defined]
            .select_related("agency")
            .first()
        )
        if consent is None:
            raise NotFound()
        return Response(ConsentOut(consent).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        privacy.revoke_consent(person=request.person, consent_id=pk)  # type: ignore[attr-defined]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- access log -------------------------------------------------------------------------------


class AccessLogEntryOut(serializers.ModelSerializer[AccessLogEntry]):
    when = serializers.DateTimeField(source="at", read_only=True)
    who = serializers.CharField(source="actor_label", read_only=True)
    agency = AgencyBrief(read_only=True, allow_null=True)

    class Meta:
        model = AccessLogEntry
        fields = ["id", "when", "who", "agency", "channel", "what", "purpose"]


class AccessLogPagination(CursorPagination):
    ordering = ("-at", "-pk")  # type: ignore[assignment]  # DRF takes a tuple too


class AccessLogView(ListAPIView[AccessLogEntry]):
    """Who read my record, when, through which channel and why; newest first. Entries are
    never changed or deleted."""

    permission_classes = [IsCitizen]
    serializer_class = AccessLogEntryOut
    pagination_class = AccessLogPagination

    def get_queryset(self) -> Any:
        return AccessLogEntry.objects.filter(person=self.request.person).select_related("agency")  # type: ignore[attr-defined]


# --- data exports -----------------------------------------------------------------------------


class ExportNotReady(Conflict):
    code = "export_not_ready"
    title = _("The export is not ready to download.")


class ExportExpired(DomainError):
    status = 410
    code = "export_expired"
    title = _("The export has expired; ask for a new one.")


def _export_state(export: DataExport) -> str:
    if export.status == DataExport.Status.READY and export.expires_at <= timezone.now():
        return "expired"
    return str(export.status)


class DataExportOut(serializers.ModelSerializer[DataExport]):
    status = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DataExport
        fields = ["id", "status", "requested_at", "ready_at", "expires_at", "download_url"]

    @extend_schema_field(serializers.ChoiceField(choices=["pending", "ready", "failed", "expired"]))
    def get_status(self, export: DataExport) -> str:
        return _export_state(export)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, export: DataExport) -> str | None:
        if _export_state(export) != "ready":
            return None
        request = self.context.get("request")
        version = getattr(request, "version", None) or "v1"
        return reverse("identity:export-download", kwargs={"version": version, "pk": export.pk})


class DataExportRequestView(APIView):
    """Ask for a copy of everything held on me. It is built in the background: follow the
    Location until the status is `ready`, then download it (for seven days)."""

    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={202: DataExportOut})
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        export = privacy.request_data_export(person=request.person)  # type: ignore[attr-defined]
        return Response(
            DataExportOut(export, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("identity:export", kwargs={**kwargs, "pk": export.pk})},
        )


class DataExportListView(ListAPIView[DataExport]):
    """My data exports, newest first."""

    permission_classes = [IsCitizen]
    serializer_class = DataExportOut

    def get_queryset(self) -> Any:
        return DataExport.objects.filter(person=self.request.person).defer("content")  # type: ignore[attr-defined]


def _my_export(request: Request, pk: int, *, with_content: bool = False) -> DataExport:
    exports = DataExport.objects.filter(person=request.person, pk=pk)  # type: ignore[attr-defined]
    export = (exports if with_content else exports.defer("content")).first()
    if export is None:
        raise NotFound()
    return export


class DataExportDetailView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: DataExportOut})
    def get(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        export = _my_export(request, pk)
        return Response(DataExportOut(export, context={"request": request}).data)


class DataExportDownloadView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The export as a JSON file (Content-Disposition: attachment).",
            ),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="Not built yet (export_not_ready)."
            ),
            (410, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="Past its seven days (export_expired)."
            ),
        }
    )
    def get(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        export = _my_export(request, pk, with_content=True)
        state = _export_state(export)
        if state == "expired":
            raise ExportExpired()
        if state != "ready":
            raise ExportNotReady(export_status=state)
        document = privacy.data_export_document(export)
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        filename = f"cityportal-{export.requested_at:%Y%m%d}-{export.pk}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response


# --- account closure --------------------------------------------------------------------------


class CloseAccountThrottle(UserRateThrottle):
    """The password is checked here: few tries, so a stolen session cannot guess it."""

    scope = "close_account"
    rate = "10/hour"


class CloseAccountIn(serializers.Serializer[Any]):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class CloseAccountOut(serializers.Serializer[Any]):
    closed_at = serializers.DateTimeField()
    pseudonym = serializers.CharField(
        help_text="Records the law keeps (payments, decisions) stay under this name."
    )


class CloseAccountView(APIView):
    """Close my account: my personal details are erased, my consents and mandates end and I am
    logged out everywhere. Asks for my password again."""

    permission_classes = [IsCitizen]
    throttle_classes = [UserRateThrottle, CloseAccountThrottle]

    @extend_schema(
        request=CloseAccountIn,
        responses={
            200: CloseAccountOut,
            (403, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PROBLEM_REF, description="Wrong password (reauthentication_failed)."
            ),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = CloseAccountIn(data=request.data)
        given.is_valid(raise_exception=True)
        person = privacy.close_account(
            person=request.person,  # type: ignore[attr-defined]
            password=given.validated_data["password"],
        )
        return Response({"closed_at": person.closed_at, "pseudonym": person.pseudonym})


urlpatterns: list[URLPattern | URLResolver] = [
    path("consents", ConsentListView.as_view(), name="consents"),
    path("consents/<int:pk>", ConsentDetailView.as_view(), name="consent"),
    path("me/access-log", AccessLogView.as_view(), name="access-log"),
    path("me/export", DataExportRequestView.as_view(), name="export-request"),
    path("me/exports", DataExportListView.as_view(), name="exports"),
    path("me/exports/<int:pk>", DataExportDetailView.as_view(), name="export"),
    path("me/exports/<int:pk>/download", DataExportDownloadView.as_view(), name="export-download"),
    path("me/close", CloseAccountView.as_view(), name="close-account"),
]
