"""Complaints API for agency staff and agency systems (HTTP only; the rules live in
complaints.actions.handling, who may see what in complaints.permissions).

Officers and supervisors (session or token), and their agency's integrators (Bearer ApiClient
with `complaints:read` to read, `complaints:write` to act):
    GET  /agency                      the agency's queue, earliest resolution deadline first
    GET  /agency/{number}             one complaint with its full history (each read is written
                                      to the reporter's access log)
    POST /agency/{number}/accept, start, resolve, reject, transfer, duplicate, pause, resume,
         notes
Dispatchers of the complaint's jurisdiction:
    GET  /agency/dispatch             the dispatch queue, longest waiting first
    POST /agency/{number}/dispatch    route a waiting complaint to an agency
A complaint the caller may not read is "not found".
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.db import connections
from django.db.models import F, Prefetch, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityportal.api.errors import PROBLEM_CONTENT_TYPE
from cityportal.api.idempotency import idempotent
from cityportal.api.schema import PROBLEM_REF, VALIDATION_PROBLEM_REF
from complaints import permissions
from complaints.actions import handling
from complaints.errors import ComplaintNotFound
from complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from complaints.states import OPEN
from identity.models import AccessLogEntry, ApiClient

TAGS = ["complaints (agencies)"]
S = Complaint.Status
TRACKING_PATTERN = r"^C-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$"
STAFF_EVENT_KINDS = frozenset(
    {
        ComplaintEvent.ActorKind.OFFICER,
        ComplaintEvent.ActorKind.SUPERVISOR,
        ComplaintEvent.ActorKind.DISPATCHER,
    }
)


def _problem(description: str, ref: dict[str, str] = PROBLEM_REF) -> OpenApiResponse:
    return OpenApiResponse(ref, description=description)


# Who is calling ------------------------------------------------------------------------------


class IsAgencyStaffOrIntegrator(BasePermission):
    """Agency staff, or an integrator holding `complaints:read` (to read) or
    `complaints:write` (to act)."""

    message = _("Only agency staff and agency systems can use the agency complaints API.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ApiClient):
            scope = permissions.READ_SCOPE if request.method in SAFE_METHODS else (
                permissions.WRITE_SCOPE
            )  # fmt: skip
            return request.auth.has_scope(scope)
        return permissions.is_agency_staff(request.user)


def _principal(request: Request) -> Any:
    """The member of staff, or the integrator (an ApiClient) acting for its agency."""
    return request.auth if isinstance(request.auth, ApiClient) else request.user


def _read_channel(request: Request) -> str:
    if isinstance(request.auth, ApiClient):
        return AccessLogEntry.Channel.INTEGRATOR
    return AccessLogEntry.Channel.API


# Keyset pages --------------------------------------------------------------------------------


class KeysetPage:
    """Cursor pages ordered by (a timestamp, id), without OFFSET and without counting.

    A list is given as `ranges`: querysets that each select one contiguous range of an index
    beginning with equality columns and ending with (timestamp, id) — the staff queue gives one
    per (agency, status) of the index `complaint_queue`. Each range is read from the cursor on,
    at most one page long, and PostgreSQL merges them (UNION ALL of LIMITed index scans), so a
    page costs the same on the first page and the thousandth, however large the table.
    """

    page_size = 50
    max_page_size = 200

    def __init__(self, request: Request, *, field: str) -> None:
        self.request = request
        self.field = field
        self.size = self._page_size(request)
        self.position, self.backwards = self._cursor(request)
        self.has_more = False

    def rows(self, ranges: Sequence[QuerySet[Complaint]]) -> list[tuple[Any, int]]:
        """The (timestamp, id) keys of this page, one more than a page to see if more follow."""
        if not ranges:
            return []
        order = (f"-{self.field}", "-id") if self.backwards else (self.field, "id")
        if self.position is not None:
            beyond = TupleLessThan if self.backwards else TupleGreaterThan
            after = beyond(Tuple(F(self.field), F("id")), self.position)
            ranges = [queryset.filter(after) for queryset in ranges]
        limit = self.size + 1
        keys = [queryset.order_by(*order).values_list(self.field, "id") for queryset in ranges]
        features = connections[ranges[0].db].features
        if len(keys) == 1:
            query = keys[0][:limit]
        elif features.supports_slicing_ordering_in_compound:
            first, *rest = (queryset[:limit] for queryset in keys)
            query = first.union(*rest, all=True).order_by(*order)[:limit]
        else:  # SQLite cannot limit the parts of a UNION: one query over all the ranges
            merged = reduce(or_, ranges)
            query = merged.order_by(*order).values_list(self.field, "id")[:limit]
        found = list(query)
        self.has_more = len(found) > self.size
        found = found[: self.size]
        return found[::-1] if self.backwards else found

    def response(self, keys: list[tuple[Any, int]], results: list[Any]) -> Response:
        if self.backwards:
            more_before, more_after = self.has_more, self.position is not None
        else:
            more_before, more_after = self.position is not None, self.has_more
        return Response(
            {
                "next": self._link(keys[-1], backwards=False) if keys and more_after else None,
                "previous": self._link(keys[0], backwards=True) if keys and more_before else None,
                "results": results,
            }
        )

    def _link(self, key: tuple[Any, int], *, backwards: bool) -> str:
        value, pk = key
        token = json.dumps(
            [value.isoformat() if value is not None else None, pk, backwards]
        ).encode()
        query = self.request.query_params.copy()
        query["cursor"] = base64.urlsafe_b64encode(token).decode().rstrip("=")
        return self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")

    def _cursor(self, request: Request) -> tuple[tuple[datetime, int] | None, bool]:
        raw = request.query_params.get("cursor")
        if not raw:
            return None, False
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            value, pk, backwards = json.loads(text)
            position = (datetime.fromisoformat(value), int(pk))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
            raise serializers.ValidationError(
                {"cursor": [serializers.ErrorDetail(str(_("Invalid cursor.")), code="invalid")]}
            ) from error
        return position, bool(backwards)

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise serializers.ValidationError(
                {
                    "page_size": [
                        serializers.ErrorDetail(
                            str(
                                _("Give a number from 1 to %(max)s.") % {"max": self.max_page_size}
                            ),
                            code="invalid",
                        )
                    ]
                }
            )
        return int(raw)


CURSOR = OpenApiParameter(
    "cursor", OpenApiTypes.STR, description="From `next` or `previous` of the page before."
)
PAGE_SIZE = OpenApiParameter(
    "page_size", OpenApiTypes.INT, description="1 to 200 complaints a page (50 by default)."
)


# Serializers -------------------------------------------------------------------------------


class QueueFilterInput(serializers.Serializer):
    status = serializers.MultipleChoiceField(
        choices=S.choices, required=False,
        help_text="One or more (repeat the parameter); the open ones by default: routed, "
        "transferred, accepted, in_progress, rework.",
    )  # fmt: skip
    category = serializers.SlugField(max_length=40, required=False, help_text="A category code.")
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="true: open and past the resolution deadline; false: not past it.",
    )  # fmt: skip


class CodeNameOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class QueueItemOutput(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=S.choices)
    category = CodeNameOutput()
    district = CodeNameOutput(allow_null=True)
    agency = CodeNameOutput(allow_null=True, help_text="The handling agency; none while waiting "
                            "for the dispatcher.")  # fmt: skip
    address = serializers.CharField()
    first_contact_due = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.SerializerMethodField(
        help_text="Open and past its resolution deadline, or still awaiting first contact past "
        "that deadline."
    )
    is_waiting_for_reporter = serializers.SerializerMethodField(
        help_text="The clock is stopped until the reporter answers."
    )
    dispatch_since = serializers.DateTimeField(
        allow_null=True, help_text="Waiting in the dispatch queue since."
    )
    escalation_level = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_is_overdue(self, complaint: Complaint) -> bool:
        return permissions.is_overdue(complaint, now=self.context.get("now") or timezone.now())

    def get_is_waiting_for_reporter(self, complaint: Complaint) -> bool:
        return complaint.paused_at is not None


class QueuePageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueItemOutput(many=True)


class ContactOutput(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    preference = serializers.ChoiceField(choices=Complaint.ContactPreference.choices)


class LocationOutput(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    map_url = serializers.URLField(help_text="The place on OpenStreetMap.")


class PhotoOutput(serializers.Serializer):
    url = serializers.URLField()
    content_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class HistoryOutput(serializers.Serializer):
    locals()["from"] = serializers.CharField(
        source="from_status", help_text="Empty for the submission."
    )
    to = serializers.ChoiceField(source="to_status", choices=S.choices)
    at = serializers.DateTimeField()
    actor_kind = serializers.ChoiceField(choices=ComplaintEvent.ActorKind.choices)
    actor = serializers.SerializerMethodField(help_text="The member of staff, if staff acted.")
    agency = serializers.CharField(
        source="agency.code", allow_null=True, help_text="The agency's code after this entry."
    )
    note = serializers.CharField()
    is_public = serializers.BooleanField(help_text="false: an internal note, for staff only.")

    def get_actor(self, event: ComplaintEvent) -> str | None:
        # Reporters are named only through the contact details, to the handling agency.
        if event.actor is None or event.actor_kind not in STAFF_EVENT_KINDS:
            return None
        return str(event.actor.get_full_name() or event.actor.get_username())


class ComplaintDetailOutput(QueueItemOutput):
    description = serializers.CharField()
    location = serializers.SerializerMethodField()
    answers = serializers.DictField()
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices)
    is_anonymous = serializers.BooleanField()
    contact = serializers.SerializerMethodField(
        help_text="The reporter's contact details: only for the handling agency."
    )
    duplicate_of = serializers.CharField(
        source="duplicate_of.tracking_number", allow_null=True,
        help_text="The original's tracking number, for a duplicate.",
    )  # fmt: skip
    routed_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True, help_text="First contact made.")
    paused_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_on_time = serializers.BooleanField(allow_null=True)
    resolution_note = serializers.CharField()
    rework_count = serializers.IntegerField()
    closed_at = serializers.DateTimeField(allow_null=True)
    photos = serializers.SerializerMethodField()
    history = HistoryOutput(many=True, source="events")
    allowed_actions = serializers.SerializerMethodField()

    @extend_schema_field(LocationOutput(allow_null=True))
    def get_location(self, complaint: Complaint) -> dict[str, Any] | None:
        if not complaint.has_location:
            return None
        place = {
            "latitude": complaint.latitude,
            "longitude": complaint.longitude,
            "map_url": permissions.map_url(complaint),
        }
        return dict(LocationOutput(place).data)

    @extend_schema_field(ContactOutput(allow_null=True))
    def get_contact(self, complaint: Complaint) -> dict[str, Any] | None:
        if not permissions.can_see_contact(self.context["principal"], complaint):
            return None
        return permissions.contact_of(complaint)

    @extend_schema_field(PhotoOutput(many=True))
    def get_photos(self, complaint: Complaint) -> list[dict[str, Any]]:
        request = self.context["request"]
        return [
            {
                "url": request.build_absolute_uri(photo.image.url),
                "content_type": photo.content_type,
                "width": photo.width,
                "height": photo.height,
            }
            for photo in complaint.photos.all()
        ]

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=permissions.HANDLING_ACTIONS))
    )
    def get_allowed_actions(self, complaint: Complaint) -> list[str]:
        return permissions.handling_actions(self.context["principal"], complaint)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class AcceptInput(serializers.Serializer):
    note = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="",
        help_text="Required: how the reporter was contacted.",
    )  # fmt: skip


class ResolveInput(serializers.Serializer):
    note = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="",
        help_text="Required: what was done, in words the reporter reads.",
    )  # fmt: skip


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="",
        help_text="Required: why this is not the agency's.",
    )  # fmt: skip


class TransferInput(serializers.Serializer):
    agency = serializers.SlugField(max_length=40, help_text="The other agency's code.")
    reason = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="", help_text="Required."
    )


class DuplicateInput(serializers.Serializer):
    original = serializers.RegexField(
        TRACKING_PATTERN, help_text="The tracking number of the complaint this one repeats."
    )
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class PauseInput(serializers.Serializer):
    question = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="",
        help_text="Required: what the agency needs to know from the reporter.",
    )  # fmt: skip


class ProgressNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    is_public = serializers.BooleanField(
        default=True, help_text="false: an internal note that only staff read."
    )


class DispatchInput(serializers.Serializer):
    agency = serializers.SlugField(max_length=40, help_text="The agency's code.")
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


# Reads ---------------------------------------------------------------------------------------

SUMMARY_RELATED = ("category", "district", "agency")
# What a queue page does not show, and is costly to load: a district's boundary can be a large
# GeoJSON polygon, and contact details are decrypted on load.
NOT_IN_QUEUE = (
    "district__boundary", "description", "answers", "contact_email", "contact_phone",
    "contact_name", "resolution_note",
)  # fmt: skip


def _page_of(keys: list[tuple[Any, int]]) -> list[Complaint]:
    if not keys:
        return []
    rows = Complaint.objects.select_related(*SUMMARY_RELATED).defer(*NOT_IN_QUEUE)
    by_pk = rows.in_bulk([pk for _key, pk in keys])
    return [by_pk[pk] for _key, pk in keys if pk in by_pk]


def _with_detail(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    related = queryset.select_related(*SUMMARY_RELATED, "reporter", "duplicate_of")
    return related.defer("district__boundary").prefetch_related(
        Prefetch("events", queryset=ComplaintEvent.objects.select_related("actor", "agency")),
        "photos",
    )


def _get(queryset: QuerySet[Complaint], number: str) -> Complaint:
    complaint = queryset.filter(tracking_number=number).first()
    if complaint is None:
        raise ComplaintNotFound()
    return complaint


def _after_action(request: Request, complaint: Complaint) -> dict[str, Any]:
    """The complaint as the action left it. A rejection or a transfer takes it out of the
    caller's reach, yet the answer still shows what became of it (its contact details only
    where can_see_contact still allows)."""
    principal = _principal(request)
    complaint = _with_detail(Complaint.objects.filter(pk=complaint.pk)).get()
    context = {"request": request, "principal": principal}
    return dict(ComplaintDetailOutput(complaint, context=context).data)


class AgencyQueueView(APIView):
    permission_classes = [IsAgencyStaffOrIntegrator]

    @extend_schema(
        tags=TAGS,
        summary="The agency's complaint queue",
        operation_id="complaints_agency_queue",
        description=(
            "The complaints the caller's agencies handle, earliest resolution deadline first "
            "(those past it first of all), in cursor pages. By default the open ones."
        ),
        parameters=[QueueFilterInput, CURSOR, PAGE_SIZE],
        responses={200: QueuePageOutput},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filters = QueueFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        principal = _principal(request)
        scope = permissions.staff_scope(principal)
        now = timezone.now()
        statuses = sorted(given.get("status") or OPEN)
        # Every complaint an agency handles has its deadline from routing.
        base = Complaint.objects.filter(resolution_due__isnull=False)
        if given.get("overdue") is True:
            statuses = [status for status in statuses if status in OPEN]
            base = base.filter(resolution_due__lt=now)
        elif given.get("overdue") is False:
            base = base.filter(resolution_due__gte=now)
        if "category" in given:
            codes = ComplaintCategory.objects.filter(code=given["category"]).values("pk")
            base = base.filter(category_id__in=codes)
        if scope.is_superuser:
            ranges = [base.filter(status__in=statuses)]
        else:  # one index range per agency and status: see KeysetPage
            ranges = [
                base.filter(agency_id=agency_id, status=status)
                for agency_id in sorted(scope.reading)
                for status in statuses
            ]
        page = KeysetPage(request, field="resolution_due")
        keys = page.rows(ranges)
        complaints = _page_of(keys)
        data = QueueItemOutput(complaints, many=True, context={"now": now}).data
        return page.response(keys, list(data))


class DispatchQueueView(APIView):
    permission_classes = [IsAgencyStaffOrIntegrator]

    @extend_schema(
        tags=TAGS,
        summary="The dispatch queue (dispatchers)",
        operation_id="complaints_agency_dispatch_queue",
        description=(
            "Complaints no rule could route and complaints an agency rejected, in the "
            "jurisdictions of the caller's dispatcher roles and those beneath them, longest "
            "waiting first. Empty for anyone who is not a dispatcher."
        ),
        parameters=[CURSOR, PAGE_SIZE],
        responses={200: QueuePageOutput},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        principal = _principal(request)
        waiting = permissions.dispatch_queue_of(principal)
        page = KeysetPage(request, field="dispatch_since")
        keys = page.rows([waiting] if permissions.staff_scope(principal).dispatching else [])
        data = QueueItemOutput(_page_of(keys), many=True, context={"now": timezone.now()}).data
        return page.response(keys, list(data))


class AgencyComplaintView(APIView):
    permission_classes = [IsAgencyStaffOrIntegrator]

    @extend_schema(
        tags=TAGS,
        summary="One complaint, with its full history",
        operation_id="complaints_agency_complaint",
        description=(
            "Internal notes included. The reporter's contact details only for the handling "
            "agency. Each read is written to the reporter's access log."
        ),
        responses={200: ComplaintDetailOutput},
    )
    def get(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        principal = _principal(request)
        complaint = _get(_with_detail(permissions.complaints_of_staff(principal)), number)
        handling.record_staff_read(
            complaint=complaint, user=principal, channel=_read_channel(request)
        )
        context = {"request": request, "principal": principal}
        return Response(ComplaintDetailOutput(complaint, context=context).data)


# Actions -------------------------------------------------------------------------------------

Perform = Callable[[Any, Complaint, dict[str, Any]], Any]


class _HandlingView(APIView):
    """POST /agency/{number}/<action>: check the body's shape, find the complaint among those
    the caller may read ("not found" otherwise), call the action, answer with the complaint."""

    permission_classes = [IsAgencyStaffOrIntegrator]
    input_class: type[serializers.Serializer] = NoteInput
    # Each action's view defines `perform(by, complaint, data)`, calling its action.
    perform: Perform

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "perform" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} must define perform(by, complaint, data)")

    def handle(self, request: Request, number: str) -> Response:
        given = self.input_class(data=request.data)
        given.is_valid(raise_exception=True)
        principal = _principal(request)
        complaint = _get(permissions.complaints_of_staff(principal), number)
        self.perform(principal, complaint, dict(given.validated_data))
        return Response(_after_action(request, complaint))


def _documented(
    summary: str, description: str, request: type[serializers.Serializer], conflicts: str
) -> Callable[[Any], Any]:
    return extend_schema(
        tags=TAGS,
        summary=summary,
        description=description,
        request=request,
        responses={
            200: ComplaintDetailOutput,
            (403, PROBLEM_CONTENT_TYPE): _problem(
                "not_handling_agency (a dispatcher, say, or the agency's integrator without "
                "complaints:write), not_dispatcher."
            ),
            (409, PROBLEM_CONTENT_TYPE): _problem(conflicts),
            (422, PROBLEM_CONTENT_TYPE): _problem(
                "invalid_complaint: a required note or reason is missing, or the agency or "
                "original is not one this complaint can go to.",
                VALIDATION_PROBLEM_REF,
            ),
        },
    )


WRONG_STATE = "invalid_transition: not from the complaint's status; clock_paused: resume first."


class AcceptView(_HandlingView):
    input_class = AcceptInput

    @_documented(
        "Accept: first contact made",
        "The handling agency contacted the reporter; the note says how.",
        AcceptInput,
        WRONG_STATE,
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.accept_complaint(complaint=complaint, by=by, note=data["note"])


class StartView(_HandlingView):
    input_class = NoteInput

    @_documented(
        "Start work", "On an accepted complaint, or one reopened for rework.", NoteInput,
        WRONG_STATE,
    )  # fmt: skip
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.start_work(complaint=complaint, by=by, note=data["note"])


class ResolveView(_HandlingView):
    input_class = ResolveInput

    @_documented(
        "Resolve",
        "With a note for the reporter, who is then asked to rate the resolution. On time if by "
        "the resolution deadline.",
        ResolveInput,
        WRONG_STATE,
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.resolve_complaint(complaint=complaint, by=by, note=data["note"])


class RejectView(_HandlingView):
    input_class = RejectInput

    @_documented(
        "Reject: not this agency's",
        "Back to the dispatch queue with the reason; the agency no longer sees the complaint.",
        RejectInput,
        WRONG_STATE,
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.reject_complaint(complaint=complaint, by=by, reason=data["reason"])


class TransferView(_HandlingView):
    input_class = TransferInput

    @_documented(
        "Transfer to another agency",
        "To an active agency of the complaint's jurisdiction or one above it, which makes "
        "first contact anew; the resolution deadline stays. Dispatchers may transfer routed "
        "complaints too.",
        TransferInput,
        WRONG_STATE,
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.transfer_complaint(
            complaint=complaint,
            by=by,
            agency=handling.agency_by_code(data["agency"]),
            reason=data["reason"],
        )


class DuplicateView(_HandlingView):
    input_class = DuplicateInput

    @_documented(
        "Mark a duplicate",
        "Of an open complaint of the same jurisdiction; the original's updates then reach "
        "this complaint's reporter and followers.",
        DuplicateInput,
        WRONG_STATE,
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.mark_duplicate(
            complaint=complaint,
            by=by,
            original=handling.original_by_number(data["original"]),
            note=data["note"],
        )


class PauseView(_HandlingView):
    input_class = PauseInput

    @_documented(
        "Wait for the reporter",
        "Asks the reporter a question (a public note) and stops the deadlines' clock.",
        PauseInput,
        "clock_paused: already waiting; invalid_transition: not open.",
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.pause_clock(complaint=complaint, by=by, question=data["question"])


class ResumeView(_HandlingView):
    input_class = NoteInput

    @_documented(
        "Resume the clock",
        "The deadlines move on by the time the clock stood still.",
        NoteInput,
        "clock_not_paused.",
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.resume_clock(complaint=complaint, by=by, note=data["note"])


class ProgressNoteView(_HandlingView):
    input_class = ProgressNoteInput

    @_documented(
        "Add a progress note",
        "Public (the reporter and followers are told) or internal (staff only).",
        ProgressNoteInput,
        "invalid_transition: the complaint is closed, withdrawn or a duplicate.",
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.add_progress_note(
            complaint=complaint, by=by, note=data["note"], is_public=data["is_public"]
        )


class DispatchView(_HandlingView):
    input_class = DispatchInput

    @_documented(
        "Route from the dispatch queue (dispatchers)",
        "To an active agency of the complaint's jurisdiction or one above it.",
        DispatchInput,
        "invalid_transition: not waiting for the dispatcher.",
    )
    @idempotent(required=False)
    def post(self, request: Request, number: str, *args: Any, **kwargs: Any) -> Response:
        return self.handle(request, number)

    def perform(self, by: Any, complaint: Complaint, data: dict[str, Any]) -> Any:
        return handling.dispatch_to_agency(
            complaint=complaint,
            by=by,
            agency=handling.agency_by_code(data["agency"]),
            note=data["note"],
        )


ACTION_VIEWS: dict[str, type[_HandlingView]] = {
    "accept": AcceptView,
    "start": StartView,
    "resolve": ResolveView,
    "reject": RejectView,
    "transfer": TransferView,
    "duplicate": DuplicateView,
    "pause": PauseView,
    "resume": ResumeView,
    "notes": ProgressNoteView,
    "dispatch": DispatchView,
}

urlpatterns: list[URLPattern | URLResolver] = [
    path("agency", AgencyQueueView.as_view(), name="agency-queue"),
    path("agency/dispatch", DispatchQueueView.as_view(), name="agency-dispatch-queue"),
    path("agency/<tracking:number>", AgencyComplaintView.as_view(), name="agency-complaint"),
    *(
        path(f"agency/<tracking:number>/{name}", view.as_view(), name=f"agency-complaint-{name}")
        for name, view in ACTION_VIEWS.items()
    ),
]
