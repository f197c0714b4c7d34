import time
from typing import Any, cast

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.idempotency import idempotent
from cityportal.errors import DomainError
from identity.models import User

from .models import Gadget


class GadgetInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    size = serializers.IntegerField(min_value=1, max_value=100)
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)


class GadgetOutput(serializers.ModelSerializer):
    class Meta:
        model = Gadget
        fields = ["id", "name", "size", "created_at"]


class GadgetTooBig(DomainError):
    status = 409
    code = "gadget_too_big"
    title = _("This gadget is too big.")


class GadgetListCreateView(ListAPIView):
    serializer_class = GadgetOutput

    def get_queryset(self) -> Any:
        return Gadget.objects.filter(owner=cast(User, self.request.user))

    @extend_schema(request=GadgetInput, responses={201: GadgetOutput})
    @idempotent()
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = GadgetInput(data=request.data)
        given.is_valid(raise_exception=True)
        if given.validated_data["size"] == 99:
            raise GadgetTooBig("Ninety-nine is reserved.", largest_allowed=98)
        # Slow enough that concurrent duplicates overlap with the first request.
        time.sleep(float(request.query_params.get("delay", "0")))
        gadget = Gadget.objects.create(
            owner=cast(User, request.user),
            name=given.validated_data["name"],
            size=given.validated_data["size"],
        )
        return Response(
            GadgetOutput(gadget).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/conventions/gadgets/{gadget.pk}"},
        )


class GadgetRequiredKeyView(APIView):
    @extend_schema(request=None, responses={201: GadgetOutput})
    @idempotent(required=True)
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        gadget = Gadget.objects.create(owner=cast(User, request.user), name="k", size=1)
        return Response({"id": gadget.pk}, status=status.HTTP_201_CREATED)


class GadgetDetailView(APIView):
    @extend_schema(responses={200: GadgetOutput})
    def get(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        gadget = get_object_or_404(Gadget, pk=pk, owner=cast(User, request.user))
        return Response(GadgetOutput(gadget).data)


class PingView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: inline_serializer("Pong", {"pong": serializers.BooleanField()})})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"pong": True})


class BoomView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: None})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise RuntimeError("secret internals: password=hunter2")
