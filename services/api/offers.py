"""Proactive offers API (HTTP only; rules live in services.actions.offers).

Citizens:   GET /offers, GET /offers/{id}, POST /offers/{id}/accept, POST /offers/{id}/decline.
An offer is seen and answered by the person it was made to only; for anyone else it does not
exist (404).
"""

from typing import Any, cast

from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF
from identity.api.permissions import IsCitizen
from identity.models import Person
from services.actions import offers as actions
from services.models import Application, Offer


def _person(request: Request) -> Person:
    return cast(Person, request.person)  # type: ignore[attr-defined]  # set by IsCitizen


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(PROBLEM_REF, description=description)


# Serializers -------------------------------------------------------------------------------


class OfferedServiceOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    summary = serializers.CharField()


class OfferApplicationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Application.Status.choices)


class OfferOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    service = OfferedServiceOutput()
    status = serializers.ChoiceField(choices=Offer.Status.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    responded_at = serializers.DateTimeField(allow_null=True)
    application = serializers.SerializerMethodField(
        help_text="The application made when the offer was accepted."
    )

    @extend_schema_field(OfferApplicationOutput(allow_null=True))
    def get_application(self, offer: Offer) -> dict[str, Any] | None:
        try:
            application = offer.application
        except Application.DoesNotExist:
            return None
        return cast(dict[str, Any], OfferApplicationOutput(application).data)


def _offers(request: Request) -> QuerySet[Offer]:
    return actions.offers_of(_person(request))


def _offer(request: Request, public_id: Any) -> Offer:
    offer = _offers(request).filter(public_id=public_id).first()
    if offer is None:
        raise actions.OfferNotFound()
    return offer


# Views -------------------------------------------------------------------------------------


@extend_schema(tags=["offers"], summary="Services offered to me, newest first")
class OfferListView(ListAPIView[Offer]):
    """Services the rules found the signed-in person entitled to, before they asked."""

    permission_classes = [IsCitizen]
    serializer_class = OfferOutput

    def get_queryset(self) -> QuerySet[Offer]:
        return _offers(self.request)


class OfferDetailView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(tags=["offers"], summary="One offer made to me", responses={200: OfferOutput})
    def get(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(OfferOutput(_offer(request, public_id)).data)


class OfferAcceptView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=["offers"],
        summary="Accept an offer: an application decided by the rules at once",
        request=None,
        responses={
            201: OfferApplicationOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("offer_not_found."),
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "offer_not_open (answered already, or expired), service_not_open, or an "
                "Idempotency-Key conflict."
            ),
        },
    )
    @idempotent(required=True)
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        offer = _offer(request, public_id)
        person = _person(request)
        application = actions.accept_offer(
            offer=offer, by=person, language=person.preferred_language
        )
        return Response(
            OfferApplicationOutput(application).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/applications/{application.public_id}"},
        )


class OfferDeclineView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        tags=["offers"],
        summary="Decline an offer (it is not made again)",
        request=None,
        responses={
            200: OfferOutput,
            (404, PROBLEM_CONTENT_TYPE): _problem("offer_not_found."),
            (409, PROBLEM_CONTENT_TYPE): _problem("offer_not_open (answered already, or expired)."),
        },
    )
    def post(self, request: Request, public_id: Any, *args: Any, **kwargs: Any) -> Response:
        offer = actions.decline_offer(offer=_offer(request, public_id), by=_person(request))
        return Response(OfferOutput(_offers(request).get(pk=offer.pk)).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("offers", OfferListView.as_view(), name="offers"),
    path("offers/<uuid:public_id>", OfferDetailView.as_view(), name="offer"),
    path("offers/<uuid:public_id>/accept", OfferAcceptView.as_view(), name="offer-accept"),
    path("offers/<uuid:public_id>/decline", OfferDeclineView.as_view(), name="offer-decline"),
]
