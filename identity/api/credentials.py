"""Identity API: the credentials wallet and the one code (HTTP only; rules live in
identity.actions.credentials and identity.onecode).

Citizens:    GET/POST /credentials, GET/DELETE /credentials/{id}, POST /credentials/{id}/share,
             POST /one-code.
Issuers:     integrators with the scope credentials:write, for the cards their agency issues:
             POST /credentials/issue, GET/PATCH /credentials/{id},
             POST /credentials/{id}/revoke|suspend|reinstate|confirm|reject.
Verifiers:   integrators with the scope one-code:verify: POST /one-code/verify.

Card numbers never leave in the clear: every answer carries `number_masked` only.
"""

from collections.abc import Callable
from typing import Any, cast

from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF
from identity import national_id, onecode
from identity.actions import credentials as actions
from identity.api.permissions import HasScope, IsCitizen
from identity.models import ApiClient, Credential, CredentialType, LevelOfAssurance, Person

CREDENTIALS_WRITE = ApiClient.Scope.CREDENTIALS_WRITE.value
ONE_CODE_VERIFY = ApiClient.Scope.ONE_CODE_VERIFY.value


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(PROBLEM_REF, description=description)


def _person(request: Request) -> Person:
    return cast(Person, request.person)  # type: ignore[attr-defined]  # set by IsCitizen


def _client(request: Request) -> ApiClient:
    return cast(ApiClient, request.auth)


# Serializers -------------------------------------------------------------------------------


class CredentialTypeRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class AgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CredentialOutput(serializers.ModelSerializer):
    type = CredentialTypeRefSerializer(read_only=True)
    issuer = AgencyRefSerializer(read_only=True)

    class Meta:
        model = Credential
        fields = [
            "id",
            "type",
            "issuer",
            "number_masked",
            "issued_on",
            "valid_from",
            "valid_until",
            "status",
            "origin",
            "verification",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ValidityInput(serializers.Serializer):
    issued_on = serializers.DateField(required=False, allow_null=True)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        valid_from, valid_until = attrs.get("valid_from"), attrs.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            raise serializers.ValidationError(
                {"valid_until": _("Must not be before valid_from.")}, code="before_valid_from"
            )
        return attrs


class CredentialAddInput(ValidityInput):
    type: serializers.SlugRelatedField[CredentialType] = serializers.SlugRelatedField(
        slug_field="code", queryset=CredentialType.objects.all()
    )
    number = serializers.CharField(max_length=60)


class HolderInput(serializers.Serializer):
    national_id_scheme = serializers.ChoiceField(choices=national_id.Scheme.choices)
    national_id = serializers.CharField(max_length=40, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = national_id.parse(attrs["national_id_scheme"], attrs["national_id"])
        except national_id.InvalidNationalId as error:
            raise serializers.ValidationError(
                {"national_id": str(error.detail)}, code=error.extra.get("reason", "invalid")
            ) from None
        return {"scheme": parsed.scheme, "number": parsed.number}


class CredentialIssueInput(CredentialAddInput):
    holder = HolderInput(help_text="The holder, found by national ID.")


class CredentialUpdateInput(ValidityInput):
    number = serializers.CharField(max_length=60, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError(_("Send at least one field to change."), code="empty")
        return attrs


class ShareInput(serializers.Serializer):
    ttl_seconds = serializers.IntegerField(
        min_value=10, max_value=onecode.MAX_SHARE_TTL, default=300
    )


class CodeOutput(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()
    ttl_seconds = serializers.IntegerField()
    qr_svg = serializers.CharField(help_text="The token's QR code as an SVG document.")
    qr_png = serializers.CharField(help_text="The same QR code as a data:image/png;base64 URI.")


class VerifyInput(serializers.Serializer):
    # Longer than any real code, so that whatever a scanner read is answered one_code_invalid.
    token = serializers.CharField(max_length=4096, trim_whitespace=True)


class NameOutput(serializers.Serializer):
    local = serializers.CharField(source="name_local")
    latin = serializers.CharField(source="name_latin")


class PresentedCredentialOutput(serializers.Serializer):
    type = serializers.CharField(source="type_code")
    type_name = serializers.CharField()
    number_masked = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=Credential.Status.choices)
    verified = serializers.BooleanField(source="is_verified")
    valid = serializers.BooleanField(
        source="is_valid", help_text="Active, within its dates today, and confirmed by its issuer."
    )
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


class VerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=[("person", "person"), ("credential", "credential")])
    expires_at = serializers.DateTimeField()
    level_of_assurance = serializers.ChoiceField(choices=LevelOfAssurance.choices, allow_null=True)
    name = NameOutput(allow_null=True, help_text="Only for clients allowed to learn it.")
    credentials = PresentedCredentialOutput(
        many=True, help_text="The holder's cards of the types this client may see."
    )
    credential = PresentedCredentialOutput(
        allow_null=True, help_text="The one card the holder shared (kind credential)."
    )


def _code_body(code: onecode.SignedCode) -> dict[str, Any]:
    return CodeOutput(
        {
            "token": code.token,
            "expires_at": code.expires_at,
            "ttl_seconds": code.ttl_seconds,
            "qr_svg": onecode.qr_svg(code.token),
            "qr_png": onecode.qr_png_data_uri(code.token),
        }
    ).data


def _verification_body(result: actions.OneCodeVerification) -> dict[str, Any]:
    return VerifyOutput(
        {
            "valid": True,
            "kind": result.kind,
            "expires_at": result.expires_at,
            "level_of_assurance": result.level_of_assurance,
            "name": result if result.reveals_name else None,
            "credentials": result.credentials,
            "credential": result.shared_credential,
        }
    ).data


# Views: citizens ---------------------------------------------------------------------------


class CredentialListView(ListAPIView):
    """The citizen's own wallet, newest first."""

    permission_classes = [IsCitizen]
    serializer_class = CredentialOutput

    def get_queryset(self) -> Any:
        return actions.credentials_held_by(_person(self.request))

    @extend_schema(summary="List my credentials")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a card to my wallet (unverified until its issuer confirms it)",
        description="The card's issuer is its type's default issuing agency.",
        request=CredentialAddInput,
        responses={
            201: CredentialOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "A card of this type with this number is already registered "
                "(credential_number_taken)."
            ),
        },
    )
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = CredentialAddInput(data=request.data)
        given.is_valid(raise_exception=True)
        credential = actions.add_credential_by_holder(
            holder=_person(request), **given.validated_data
        )
        return Response(
            CredentialOutput(credential).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path.rstrip('/')}/{credential.pk}"},
        )


class CredentialDetailView(APIView):
    """GET: the owner, or the issuing agency's system (logged in the holder's access log).
    PATCH: the issuing agency's system. DELETE: the owner, for a card they added themselves."""

    def get_permissions(self) -> list[BasePermission]:
        permissions: dict[str, Any] = {
            "GET": IsCitizen | HasScope(CREDENTIALS_WRITE),
            "PATCH": HasScope(CREDENTIALS_WRITE),
            "DELETE": IsCitizen,
        }
        permission = permissions.get(self.request.method or "", IsCitizen)
        return [permission()]

    @extend_schema(summary="Read one credential", responses={200: CredentialOutput})
    def get(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        if isinstance(request.auth, ApiClient):
            client = _client(request)
            credential = get_object_or_404(actions.credentials_issued_by(client.agency), pk=pk)
            actions.record_issuer_read(credential=credential, client=client)
        else:
            credential = get_object_or_404(actions.credentials_held_by(_person(request)), pk=pk)
        return Response(CredentialOutput(credential).data)

    @extend_schema(
        summary="Change a credential your agency issued (number, dates)",
        request=CredentialUpdateInput,
        responses={
            200: CredentialOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "The card is revoked (credential_revoked) or the new number is taken "
                "(credential_number_taken)."
            ),
        },
    )
    def patch(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        client = _client(request)
        credential = get_object_or_404(actions.credentials_issued_by(client.agency), pk=pk)
        given = CredentialUpdateInput(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        credential = actions.update_credential(
            credential=credential, changes=dict(given.validated_data), client=client
        )
        return Response(CredentialOutput(_reload(credential)).data)

    @extend_schema(
        summary="Remove a card I added (not yet confirmed by its issuer)",
        responses={
            204: None,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "Confirmed by its issuer, or not added by you (credential_not_removable)."
            ),
        },
    )
    def delete(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        person = _person(request)
        credential = get_object_or_404(actions.credentials_held_by(person), pk=pk)
        actions.remove_credential_by_holder(holder=person, credential=credential)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CredentialShareView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        summary="Share one of my cards for a limited time (token and QR code)",
        request=ShareInput,
        responses={
            201: CodeOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem("The card is revoked (credential_revoked)."),
        },
    )
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        person = _person(request)
        credential = get_object_or_404(actions.credentials_held_by(person), pk=pk)
        given = ShareInput(data=request.data)
        given.is_valid(raise_exception=True)
        code = actions.share_credential(
            holder=person, credential=credential, ttl_seconds=given.validated_data["ttl_seconds"]
        )
        return Response(_code_body(code), status=status.HTTP_201_CREATED)


class OneCodeView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        summary="Get my one code: a signed token valid for 60 seconds, with its QR code",
        request=None,
        responses={201: CodeOutput},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        code = actions.issue_one_code(holder=_person(request))
        return Response(_code_body(code), status=status.HTTP_201_CREATED)


# Views: integrators ------------------------------------------------------------------------


def _reload(credential: Credential) -> Credential:
    """The row as saved, with what the output shows, in one query."""
    return Credential.objects.select_related("type", "issuer").get(pk=credential.pk)


class CredentialIssueView(APIView):
    permission_classes = [HasScope(CREDENTIALS_WRITE)]

    @extend_schema(
        summary="Issue a credential to a person identified by national ID",
        description="201 when created; 200 when the holder had already added this card, which "
        "is now confirmed. Only types whose default issuer is the client's agency.",
        request=CredentialIssueInput,
        responses={
            201: CredentialOutput,
            200: CredentialOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "Someone else holds a card of this type with this number (credential_number_taken)."
            ),
            (404, PROBLEM_CONTENT_TYPE): _problem(
                "No person with this national ID is registered (holder_not_found)."
            ),
        },
    )
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = CredentialIssueInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        holder = actions.find_holder(**data.pop("holder"))
        issued = actions.issue_credential(client=_client(request), holder=holder, **data)
        credential = _reload(issued.credential)
        if not issued.created:
            return Response(CredentialOutput(credential).data)
        location = request.path.removesuffix("issue").rstrip("/") + f"/{credential.pk}"
        return Response(
            CredentialOutput(credential).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class _IssuerTransitionView(APIView):
    """POST with no body: one issuer action on a credential the client's agency issued."""

    permission_classes = [HasScope(CREDENTIALS_WRITE)]

    def apply(self, request: Request, pk: int, action: Callable[..., Credential]) -> Response:
        client = _client(request)
        credential = get_object_or_404(actions.credentials_issued_by(client.agency), pk=pk)
        credential = action(credential=credential, client=client)
        return Response(CredentialOutput(_reload(credential)).data)


def _transition_schema(summary: str) -> Callable[[Any], Any]:
    return extend_schema(
        summary=summary,
        request=None,
        responses={
            200: CredentialOutput,
            (409, PROBLEM_CONTENT_TYPE): _problem(
                "Not possible in the card's current state (credential_revoked, "
                "credential_not_active, credential_not_suspended, credential_not_pending)."
            ),
        },
    )


class CredentialRevokeView(_IssuerTransitionView):
    @_transition_schema("Revoke a credential for good (revoking twice changes nothing)")
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        return self.apply(request, pk, actions.revoke_credential)


class CredentialSuspendView(_IssuerTransitionView):
    @_transition_schema("Suspend an active credential")
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        return self.apply(request, pk, actions.suspend_credential)


class CredentialReinstateView(_IssuerTransitionView):
    @_transition_schema("Lift a credential's suspension")
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        return self.apply(request, pk, actions.reinstate_credential)


class CredentialConfirmView(_IssuerTransitionView):
    @_transition_schema("Confirm a card its holder added")
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        return self.apply(request, pk, actions.confirm_credential)


class CredentialRejectView(_IssuerTransitionView):
    @_transition_schema("Reject a card its holder added (it is revoked, freeing its number)")
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        return self.apply(request, pk, actions.reject_credential)


class OneCodeVerifyView(APIView):
    permission_classes = [HasScope(ONE_CODE_VERIFY)]

    @extend_schema(
        summary="Verify a one code or a shared credential",
        description="Reveals only what this client may see: level of assurance, the name if "
        "the client may learn it, and the status of the credential types assigned to it. Each "
        "verification is written to the holder's access log. Expired: 410 one_code_expired; "
        "altered or unknown: 400 one_code_invalid.",
        request=VerifyInput,
        responses={
            200: VerifyOutput,
            (410, PROBLEM_CONTENT_TYPE): _problem("The code has expired (one_code_expired)."),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = VerifyInput(data=request.data)
        given.is_valid(raise_exception=True)
        result = actions.verify_one_code(
            client=_client(request), token=given.validated_data["token"]
        )
        return Response(_verification_body(result))


urlpatterns: list[URLPattern | URLResolver] = [
    path("credentials", CredentialListView.as_view(), name="credentials"),
    path("credentials/issue", CredentialIssueView.as_view(), name="credential-issue"),
    path("credentials/<int:pk>", CredentialDetailView.as_view(), name="credential"),
    path("credentials/<int:pk>/share", CredentialShareView.as_view(), name="credential-share"),
    path("credentials/<int:pk>/revoke", CredentialRevokeView.as_view(), name="credential-revoke"),
    path(
        "credentials/<int:pk>/suspend", CredentialSuspendView.as_view(), name="credential-suspend"
    ),
    path(
        "credentials/<int:pk>/reinstate",
        CredentialReinstateView.as_view(),
        name="credential-reinstate",
    ),
    path(
        "credentials/<int:pk>/confirm", CredentialConfirmView.as_view(), name="credential-confirm"
    ),
    path("credentials/<int:pk>/reject", CredentialRejectView.as_view(), name="credential-reject"),
    path("one-code", OneCodeView.as_view(), name="one-code"),
    path("one-code/verify", OneCodeVerifyView.as_view(), name="one-code-verify"),
]
