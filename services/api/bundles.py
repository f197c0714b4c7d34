"""Bundles ("one thing") API (HTTP only; rules live in services.actions.bundles).

Public:     GET /bundles, GET /bundles/{code} (with the shared form).
Citizens:   POST /bundles/{code}/applications, GET /bundle-applications,
            GET /bundle-applications/{id}.
"""

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.pagination import PageNumberPagination
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from identity.acting import resolve_acting
from identity.api.permissions import IsCitizen
from identity.models import Person
from services.actions import bundles as actions
from services.errors import WrongAudience
from services.models import Application, Bundle, BundleApplication
from services.queries import represented_parties


def _person(request: Request) -> Person:
    return cast(Person, request.person)  # type: ignore[attr-defined]  # set by IsCitizen


# Serializers -------------------------------------------------------------------------------


class LifeEventRefOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ServiceRefOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    approval_mode = serializers.CharField()


class BundleOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    life_event = LifeEventRefOutput()
    services = serializers.SerializerMethodField()

    @extend_schema_field(ServiceRefOutput(many=True))
    def get_services(self, bundle: Bundle) -> Any:
        return ServiceRefOutput(actions.bundle_services(bundle), many=True).data


class BundleDetailOutput(BundleOutput):
    input_schema = serializers.SerializerMethodField(
        help_text="The shared form (JSON Schema): each service receives the fields its own "
        "form declares."
    )

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_input_schema(self, bundle: Bundle) -> dict[str, Any]:
        return actions.combined_schema(bundle)


class BundleApplicationInput(serializers.Serializer):
    data = serializers.DictField(help_text="The shared form's data.")  # type: ignore[assignment]


class BundledApplicationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    service = serializers.CharField(source="service.code")
    status = serializers.ChoiceField(choices=Application.Status.choices)


class BundleApplicationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    bundle = serializers.CharField(source="bundle.code")
    status = serializers.SerializerMethodField(
        help_text="Combined: needs_action when one application waits for the applicant, "
        "in_progress while one is being decided; then (leaving withdrawn ones out) approved, "
        "rejected or partially_approved; withdrawn when all were withdrawn."
    )
    applications = BundledApplicationOutput(many=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=actions.BUNDLE_STATUSES))
    def get_status(self, bundle_application: BundleApplication) -> str:
        return actions.bundle_status(bundle_application)


def _problem(description: str, ref: dict[str, str] = PROBLEM_REF) -> OpenApiResponse:
    return OpenApiResponse(ref, description=description)


def _bundle_applications_of(person: Person) -> QuerySet[BundleApplication]:
    """Bundle applications of the persons `person` may act for (those whose applications they
    see); everything else is not found."""
    person_ids, _business_ids = represented_parties(person)
    return (
        BundleApplication.objects.filter(applicant_id__in=person_ids)
        .select_related("bundle")
        .prefetch_related(
            Prefetch(
                "applications",
                queryset=Application.objects.select_related("service").order_by("pk"),
            )
        )
    )


def _active_bundle(code: str) -> Bundle:
    bundle = actions.active_bundles().filter(code=code).first()
    if bundle is None:
        raise actions.BundleNotFound()
    return bundle


# Views -------------------------------------------------------------------------------------


@extend_schema(tags=["bundles"], summary="Bundles of services around life events")
class BundleListView(ListAPIView[Bundle]):
    """Active bundles with their life event and services, in the language asked for."""

    permission_classes = [AllowAny]
    serializer_class = BundleOutput
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Bundle]:
        return actions.active_bundles().order_by("code")


class BundleDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["bundles"],
        summary="One bundle, with its shared form",
        responses={200: BundleDetailOutput},
    )
    def get(self, request: Request, code: str, *args: Any, **kwargs: Any) -> Response:
        return Response(BundleDetailOutput(_active_bundle(code)).data)


class BundleApplyView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=["bundles"],
        summary="Apply for every service of a bundle in one submission",
        description=(
            "Makes one application per bundled service, each receiving the fields of `data` "
            "its own form declares and each decided by its own rules. All or nothing: when a "
            "service refuses, nothing is made and the problem names the service (`service`, "
            "and fields of `errors` prefixed with its code)."
        ),
        request=BundleApplicationInput,
        parameters=[
            OpenApiParameter(
                "X-Acting-For",
                str,
                OpenApiParameter.HEADER,
                description="person:<id>: apply for them (a child) under an active mandate "
                "with the scope applications.",
            )
        ],
        responses={
            201: BundleApplicationOutput,
            (403, PROBLEM_CONTENT_TYPE): _problem(
                "loa_too_low, wrong_audience (bundles are for persons), or no_mandate."
            ),
            (404, PROBLEM_CONTENT_TYPE): _problem("bundle_not_found."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "service_not_open (a bundled service), or an Idempotency-Key conflict."
            ),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_application_data, with per-field errors.", VALIDATION_PROBLEM_REF
            ),
        },
    )
    @idempotent(required=True)
    def post(self, request: Request, code: str, *args: Any, **kwargs: Any) -> Response:
        bundle = _active_bundle(code)
        given = BundleApplicationInput(data=request.data)
        given.is_valid(raise_exception=True)
        acting = resolve_acting(request, scope="applications")
        assert acting is not None  # noqa: S101 - IsCitizen: the caller has a person
        if acting.person is None:
            raise WrongAudience(audience="person")
        bundle_application = actions.submit_bundle(
            bundle=bundle,
            submitted_by=acting.representative,
            applicant=acting.person,
            mandate=acting.mandate,
            data=given.validated_data["data"],
            language=acting.representative.preferred_language,
        )
        created = _bundle_applications_of(_person(request)).get(pk=bundle_application.pk)
        return Response(
            BundleApplicationOutput(created).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/bundle-applications/{created.public_id}"},
        )


@extend_schema(tags=["bundles"], summary="My bundle applications, newest first")
class BundleApplicationListView(ListAPIView[BundleApplication]):
    """Bundle applications of the signed-in person and of those they act for under a mandate."""

    permission_classes = [IsCitizen]
    serializer_class = BundleApplicationOutput

    def get_queryset(self) -> QuerySet[BundleApplication]:
        return _bundle_applications_of(_person(self.request))


class BundleApplicationDetailView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=["bundles"],
        summary="One bundle application, with its combined status",
        responses={200: BundleApplicationOutput},
    )
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        found = _bundle_applications_of(_person(request)).filter(public_id=public_id).first()
        if found is None:
            raise actions.BundleApplicationNotFound()
        return Response(BundleApplicationOutput(found).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("bundles", BundleListView.as_view(), name="bundles"),
    path("bundles/<slug:code>", BundleDetailView.as_view(), name="bundle"),
    path("bundles/<slug:code>/applications", BundleApplyView.as_view(), name="bundle-applications"),
    path(
        "bundle-applications", BundleApplicationListView.as_view(), name="bundle-application-list"
    ),
    path(
        "bundle-applications/<uuid:public_id>",
        BundleApplicationDetailView.as_view(),
        name="bundle-application",
    ),
]
