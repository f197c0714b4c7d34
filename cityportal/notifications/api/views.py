"""The citizen's inbox: GET /api/v1/inbox, GET /api/v1/inbox/{id}, POST /api/v1/inbox/{id}/read.
Filter `unread=true` for what has not been read yet."""

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.notifications import actions
from cityportal.notifications.models import Message
from identity.api.permissions import IsCitizen
from identity.models import Person


class MessageOutput(serializers.ModelSerializer[Message]):
    id = serializers.UUIDField(source="public_id")
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "kind", "language", "title", "body", "link", "data", "created_at",
                  "read_at", "is_read"]  # fmt: skip

    def get_is_read(self, message: Message) -> bool:
        return message.read_at is not None


def _inbox_of(request: Request) -> QuerySet[Message]:
    person = cast(Person, request.person)  # type: ignore[attr-defined]
    return Message.objects.filter(recipient=person)


@extend_schema(
    tags=["inbox"],
    parameters=[OpenApiParameter("unread", bool, description="Only unread messages.")],
)
class InboxListView(ListAPIView[Message]):
    """Messages to the signed-in person, newest first."""

    permission_classes = [IsCitizen]
    serializer_class = MessageOutput

    def get_queryset(self) -> QuerySet[Message]:
        messages = _inbox_of(self.request)
        if self.request.query_params.get("unread") in ("true", "1"):
            messages = messages.filter(read_at__isnull=True)
        return messages


@extend_schema(tags=["inbox"])
class InboxMessageView(RetrieveAPIView[Message]):
    permission_classes = [IsCitizen]
    serializer_class = MessageOutput
    lookup_field = "public_id"
    lookup_url_kwarg = "message_id"

    def get_queryset(self) -> QuerySet[Message]:
        return _inbox_of(self.request)


class InboxMessageReadView(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(tags=["inbox"], request=None, responses={200: MessageOutput})
    def post(self, request: Request, message_id: Any, **kwargs: Any) -> Response:
        """Mark a message read (reading it again changes nothing)."""
        message = get_object_or_404(_inbox_of(request), public_id=message_id)
        return Response(MessageOutput(actions.mark_read(message=message)).data)


urlpatterns = [
    path("inbox", InboxListView.as_view(), name="inbox"),
    path("inbox/<uuid:message_id>", InboxMessageView.as_view(), name="inbox-message"),
    path("inbox/<uuid:message_id>/read", InboxMessageReadView.as_view(), name="inbox-message-read"),
]
