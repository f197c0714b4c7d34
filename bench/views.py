"""The floor that PRODUCT.md measures write endpoints against: a plain Django view that inserts
the same row as the convention endpoint, with hand-written validation and orjson, and nothing
else — no DRF, no authentication, no throttling, no idempotency. It still goes through the
project's middleware, as every request on the same server does."""

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from tests.conventions.models import Gadget


def _json(data: object, status: int) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type="application/json")


@csrf_exempt
def insert_gadget(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _json({"detail": "POST only"}, 405)
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return _json({"detail": "not JSON"}, 400)
    if not isinstance(data, dict):
        return _json({"detail": "not an object"}, 400)
    name, size, owner = data.get("name"), data.get("size"), data.get("owner")
    errors = {}
    if not isinstance(name, str) or not 0 < len(name) <= 50:
        errors["name"] = "1 to 50 characters"
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
        errors["size"] = "an integer from 1 to 100"
    if not isinstance(owner, int) or isinstance(owner, bool):
        errors["owner"] = "a user id"
    if errors:
        return _json({"errors": errors}, 400)
    gadget = Gadget.objects.create(owner_id=owner, name=name, size=size)
    return _json(
        {
            "id": gadget.pk,
            "name": gadget.name,
            "size": gadget.size,
            "created_at": gadget.created_at,
        },
        201,
    )
