"""The floors complaint intake is measured against, in the same run on the same server:

- `hello`: a bare Django view answering a constant JSON — what any request costs through the
  project's middleware;
- `insert_complaint`: a plain Django view that inserts the same Complaint row the intake
  inserts — orjson, hand-written checks of the same body, one ORM INSERT — and nothing else: no
  DRF, no authentication, no throttle, no idempotency key, no history row, no routing task.
  The reporter and the district come in the body (the intake gets them from the session and
  the point); the category is looked up once per process;
- `insert_complaint_and_queue`: the same, with the INSERT in a transaction that queues a
  routing task on commit for every request — what a Celery message alone adds to the insert
  floor (the reference's "POST that inserts and queues a Celery task on commit"; the intake
  itself queues one only when no routing run is on its way, ADR 0009).

Bench only (bench/bench_urls.py, selected by bench.complaint_settings); never in production
URLs.
"""

from contextlib import nullcontext
from decimal import Decimal, InvalidOperation

import orjson
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from complaints.models import Complaint, ComplaintCategory, new_tracking_number
from complaints.tasks import route_waiting_complaints_task

HELLO = orjson.dumps({"hello": "world"})
PREFERENCES = frozenset(Complaint.ContactPreference.values)
_categories: dict[tuple[str, str], tuple[int, int]] = {}


def _json(data: object, status: int) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


@csrf_exempt
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(HELLO, content_type="application/json")


def _coordinate(value: object, low: int, high: int) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number.quantize(Decimal("0.000001")) if low <= number <= high else None


def _category(jurisdiction: str, code: str) -> tuple[int, int] | None:
    key = (jurisdiction, code)
    found = _categories.get(key)
    if found is None:
        row = (
            ComplaintCategory.objects.filter(jurisdiction__code=jurisdiction, code=code)
            .values_list("pk", "jurisdiction_id")
            .first()
        )
        if row is None:
            return None
        found = _categories[key] = (row[0], row[1])
    return found


@csrf_exempt
def insert_complaint(request: HttpRequest) -> HttpResponse:
    return _insert(request, queue=False)


@csrf_exempt
def insert_complaint_and_queue(request: HttpRequest) -> HttpResponse:
    return _insert(request, queue=True)


def _insert(request: HttpRequest, *, queue: bool) -> HttpResponse:
    if request.method != "POST":
        return _json({"detail": "POST only"}, 405)
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return _json({"detail": "not JSON"}, 400)
    if not isinstance(data, dict):
        return _json({"detail": "not an object"}, 400)
    errors = {}
    description = data.get("description")
    if not isinstance(description, str) or not 0 < len(description.strip()) <= 4000:
        errors["description"] = "1 to 4000 characters"
    latitude = _coordinate(data.get("latitude"), -90, 90)
    longitude = _coordinate(data.get("longitude"), -180, 180)
    address = data.get("address", "")
    if not isinstance(address, str) or len(address) > 300:
        errors["address"] = "up to 300 characters"
    if (latitude is None) != (longitude is None) or (latitude is None and not address):
        errors["location"] = "a point, an address, or both"
    answers = data.get("answers", {})
    if not isinstance(answers, dict):
        errors["answers"] = "an object"
    preference = data.get("contact_preference", "inbox")
    if preference not in PREFERENCES:
        errors["contact_preference"] = "one of " + ", ".join(sorted(PREFERENCES))
    reporter, district = data.get("reporter"), data.get("district")
    if not (reporter is None or (isinstance(reporter, int) and not isinstance(reporter, bool))):
        errors["reporter"] = "a person id"
    if not (district is None or (isinstance(district, int) and not isinstance(district, bool))):
        errors["district"] = "a district id"
    category = _category(str(data.get("jurisdiction")), str(data.get("category")))
    if category is None:
        errors["category"] = "no such category"
    if errors or category is None:
        return _json({"errors": errors}, 400)
    # The plain floor is one INSERT in autocommit; the queued one needs a transaction to
    # queue after.
    with transaction.atomic() if queue else nullcontext():
        complaint = Complaint.objects.create(
            tracking_number=new_tracking_number(),
            jurisdiction_id=category[1],
            category_id=category[0],
            district_id=district,
            description=description,
            latitude=latitude,
            longitude=longitude,
            address=address,
            answers=answers,
            contact_preference=preference,
            reporter_id=reporter,
        )
        if queue:
            route_waiting_complaints_task.delay_on_commit()
    return _json({"tracking_number": complaint.tracking_number, "status": complaint.status}, 201)
