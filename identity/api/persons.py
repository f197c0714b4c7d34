"""Identity API: the citizen's own record, verification against the registry, mandates."""

from typing import Any

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.idempotency import idempotent
from cityportal.errors import PermissionDenied
from identity import national_id
from identity.acting import resolve_acting
from identity.actions.persons import update_person_details, verify_against_registry
from identity.api.permissions import IsCitizen
from identity.models import Jurisdiction, Mandate, Person
from identity.national_id import Scheme
from identity.queries import mandates_visible_to
from identity.validators import validate_e164


class JurisdictionRef(serializers.ModelSerializer[Jurisdiction]):
    class Meta:
        model = Jurisdiction
        fields = ["code", "name", "level", "time_zone"]


class PersonOut(serializers.ModelSerializer[Person]):
    """A person as they see themselves; the national ID only masked."""

    id = serializers.IntegerField(read_only=True)
    residence = JurisdictionRef(read_only=True)
    national_id = serializers.CharField(source="national_id_masked", read_only=True)
    sources = serializers.SerializerMethodField()
    read_only_fields = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "legal_name_local",
            "legal_name_latin",
            "date_of_birth",
            "contact_email",
            "contact_phone",
            "preferred_language",
            "residence",
            "level_of_assurance",
            "national_id_scheme",
            "national_id",
            "sources",
            "read_only_fields",
        ]

    def get_sources(self, person: Person) -> dict[str, dict[str, str]]:
        return dict(person.attribute_sources)

    def get_read_only_fields(self, person: Person) -> list[str]:
        """Attributes government confirmed: shown, not editable here."""
        return sorted(name for name in person.attribute_sources if person.source_of(name) != "self")


class PersonUpdateIn(serializers.Serializer[Any]):
    legal_name_local = serializers.CharField(max_length=200, required=False, allow_blank=True)
    legal_name_latin = serializers.CharField(max_length=200, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, validators=[validate_e164]
    )
    preferred_language = serializers.ChoiceField(choices=["en", "th", "zh-hans"], required=False)
    residence: serializers.SlugRelatedField[Jurisdiction] = serializers.SlugRelatedField(
        slug_field="code", queryset=Jurisdiction.objects.all(), required=False, allow_null=True
    )

    def validate_date_of_birth(self, value: Any) -> Any:
        from django.utils import timezone

        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError("The date of birth cannot be in the future.")
        return value


class MeView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: PersonOut}, operation_id="identity_me_retrieve")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(PersonOut(request.person).data)  # type: ignore[attr-defined]

    @extend_schema(request=PersonUpdateIn, responses={200: PersonOut})
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = PersonUpdateIn(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        person = update_person_details(
            person=request.person,  # type: ignore[attr-defined]
            changes=dict(given.validated_data),
        )
        return Response(PersonOut(person).data)


class VerificationIn(serializers.Serializer[Any]):
    national_id_scheme = serializers.ChoiceField(choices=Scheme.choices)
    national_id = serializers.CharField(max_length=32)
    legal_name_local = serializers.CharField(max_length=200)
    date_of_birth = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = national_id.parse(attrs["national_id_scheme"], attrs["national_id"])
        except national_id.InvalidNationalId as error:
            raise serializers.ValidationError(
                {"national_id": [ErrorDetail(str(error.detail), code=error.extra["reason"])]}
            ) from None
        return {**attrs, "national_id": parsed.number}


class VerificationView(APIView):
    """Match my claims against the population registry; raises my level to substantial."""

    permission_classes = [IsCitizen]

    @extend_schema(request=VerificationIn, responses={200: PersonOut})
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = VerificationIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        person = verify_against_registry(
            person=request.person,  # type: ignore[attr-defined]
            scheme=data["national_id_scheme"],
            number=data["national_id"],
            legal_name_local=data["legal_name_local"],
            date_of_birth=data["date_of_birth"],
        )
        return Response(PersonOut(person).data)


class PartyOut(serializers.Serializer[Any]):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    acting_for = serializers.CharField(help_text="The value to send in X-Acting-For.")


class MandateOut(serializers.ModelSerializer[Mandate]):
    representative = serializers.SerializerMethodField()
    represented = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Mandate
        fields = [
            "id",
            "role",
            "representative",
            "represented",
            "scope",
            "valid_from",
            "valid_until",
            "revoked_at",
            "legal_basis",
            "is_active",
        ]

    @extend_schema_field(PartyOut)
    def get_representative(self, mandate: Mandate) -> dict[str, Any]:
        return _party("person", mandate.representative)

    @extend_schema_field(PartyOut)
    def get_represented(self, mandate: Mandate) -> dict[str, Any]:
        if mandate.for_business is not None:
            return _party("business", mandate.for_business)
        return _party("person", mandate.for_person)

    def get_role(self, mandate: Mandate) -> str:
        viewer = self.context["person"]
        return "representative" if mandate.representative_id == viewer.pk else "represented"

    def get_is_active(self, mandate: Mandate) -> bool:
        return mandate.is_active()


def _party(kind: str, party: Any) -> dict[str, Any]:
    return {"kind": kind, "id": party.pk, "name": str(party), "acting_for": f"{kind}:{party.pk}"}


class MandateListView(ListAPIView[Mandate]):
    """Mandates I hold (I may act for them) and those given on my behalf."""

    permission_classes = [IsCitizen]
    serializer_class = MandateOut

    def get_queryset(self) -> Any:
        return mandates_visible_to(self.request.person)  # type: ignore[attr-defined]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "person": getattr(self.request, "person", None)}


class ActingOut(serializers.Serializer[Any]):
    representative = PartyOut()
    acting_for = PartyOut(allow_null=True)
    mandate_id = serializers.IntegerField(allow_null=True)
    scope = serializers.CharField()


class ActingView(APIView):
    """Who a request with these headers acts for: send X-Acting-For to check a mandate before
    acting under it. Every write that accepts X-Acting-For resolves it the same way."""

    permission_classes = [IsCitizen]

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, description="The action's scope, e.g. applications"),
            OpenApiParameter(
                "X-Acting-For",
                str,
                OpenApiParameter.HEADER,
                description="person:<id> or business:<id>",
            ),
        ],
        responses={200: ActingOut},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        scope = request.query_params.get("scope", "*")
        acting = resolve_acting(request, scope=scope)
        if acting is None:  # IsCitizen already refused callers without a person record
            raise PermissionDenied()
        party: Any = acting.business or acting.person
        return Response(
            {
                "representative": _party("person", acting.representative),
                "acting_for": _party("business" if acting.business else "person", party)
                if acting.is_representing
                else None,
                "mandate_id": acting.mandate.pk if acting.mandate else None,
                "scope": scope,
            }
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("acting", ActingView.as_view(), name="acting"),
    path("me", MeView.as_view(), name="me"),
    path("verification", VerificationView.as_view(), name="verification"),
    path("mandates", MandateListView.as_view(), name="mandates"),
]
