"""What the complaint benchmarks share: the catalogue they report under, signed-in citizens,
the intake request, and a LISTEN connection that timestamps bench-only NOTIFYs.

The catalogue is the generator's synthetic one (`manage.py generate_complaints
--with-catalogue`: a city, four square districts, eight leaf categories in three languages,
five agencies, a rule by district), plus what makes routing do its real work: a working
calendar with the Thai public holidays (deadlines are counted on it) and a ladder of nine rules
by weekday, time of day and answers, tried and failed before the one that matches.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as clock
from decimal import Decimal
from typing import Any

import orjson

from bench import loadgen

JURISDICTION = "gen-city"
# Leaves reported under, in rotation: three routed by their category's agency, one by the
# rule for roads in the east or by its agency in the west.
CATEGORIES = ("gen-pothole", "gen-light-out", "gen-dumping", "gen-bins", "gen-bus-stop")


@dataclass
class Catalogue:
    jurisdiction: str
    categories: tuple[str, ...]
    # (latitude, longitude, district id) inside each district, in rotation
    points: list[tuple[Decimal, Decimal, int]]


def seed_catalogue() -> Catalogue:
    """The synthetic catalogue, a calendar with holidays, and 9 rules that are tried first."""
    import random

    from complaints.demo import THAILAND_HOLIDAYS
    from complaints.management.commands.generate_complaints import (
        _points,
        create_synthetic_catalogue,
    )
    from complaints.models import PublicHoliday, RoutingRule, WorkingCalendar
    from complaints.routing import routing_table
    from identity.models import Agency

    city = create_synthetic_catalogue(None)
    calendar = WorkingCalendar.objects.create(
        jurisdiction=city, working_weekdays=[0, 1, 2, 3, 4], day_starts=clock(8, 30),
        day_ends=clock(16, 30),
    )  # fmt: skip
    PublicHoliday.objects.bulk_create(
        PublicHoliday(calendar=calendar, date=day, name=names[0], name_en=names[0],
                      name_th=names[1], name_zh_hans=names[2])
        for day, names in sorted(THAILAND_HOLIDAYS.items())
    )  # fmt: skip
    night = Agency.objects.get(code="gen-public-works-east")
    for n in range(9):
        # Night-shift and weekend rules on an answer nobody gives: each is checked and fails,
        # as most of a real ladder does for any one report. (The catalogue's own rule, roads
        # in the east, has priority 10.)
        RoutingRule.objects.create(
            jurisdiction=city, priority=n + 1, name=f"Ladder rule {n + 1}", agency=night,
            weekdays=[5, 6] if n % 2 == 0 else [],
            time_from=clock(22) if n % 3 == 1 else None,
            time_to=clock(5) if n % 3 == 1 else None,
            answers={"source": "fireworks"},
        )  # fmt: skip
    table = routing_table(city.pk)
    rng = random.Random(11)
    points = [
        (lat, lon, district_id)
        for index, district_id in enumerate(table.district_ids)
        for lat, lon in _points(table, index, rng)[:16]
    ]
    rng.shuffle(points)
    return Catalogue(JURISDICTION, CATEGORIES, points)


def seed_citizens(count: int) -> list[tuple[int, str]]:
    """`count` citizens, each signed in: (person id, X-Session-Token). allauth's app session
    token is the Django session key, so login() on a fresh session gives a valid one."""
    import datetime

    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from identity.models import Person, User

    request = RequestFactory().get("/")
    citizens = []
    for n in range(count):
        user = User.objects.create(username=f"bench{n}", email=f"bench{n}@example.org")
        user.set_unusable_password()
        user.save()
        person = Person.objects.create(
            user=user, legal_name_local=f"Bench {n}",
            date_of_birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=n),
            preferred_language=("en", "th", "zh-hans")[n % 3],
        )  # fmt: skip
        request.session = SessionStore()
        request.user = user
        login(request, user, backend="identity.backends.ModelBackend")
        request.session.save()
        citizens.append((person.pk, str(request.session.session_key)))
    return citizens


def intake_body(catalogue: Catalogue, number: int) -> dict[str, Any]:
    """The n-th report: categories and places in rotation; its number in the address, so that
    the benchmarks can tell which request a complaint came from."""
    lat, lon, _district = catalogue.points[number % len(catalogue.points)]
    return {
        "jurisdiction": catalogue.jurisdiction,
        "category": catalogue.categories[number % len(catalogue.categories)],
        "description": "The street light outside number 12 has been dark for a week; "
        "the pavement there is broken too.",
        "latitude": str(lat),
        "longitude": str(lon),
        "address": f"Bench {number}",
        "answers": {},
        "contact_preference": "inbox",
        "is_anonymous": False,
    }


INTAKE_PATH = "/api/v1/complaints"


def intake_path(address: tuple[str, int], catalogue: Catalogue, citizen: tuple[int, str]) -> str:
    """Where the intake answers: one report is sent first, and a redirect (a trailing slash
    added by APPEND_SLASH) is followed once, so the load goes where the 201 comes from."""
    import http.client

    path = INTAKE_PATH
    for _attempt in range(2):
        conn = http.client.HTTPConnection(*address, timeout=30)
        try:
            conn.request(
                "POST", path, body=orjson.dumps(intake_body(catalogue, 10**9)),
                headers={"Content-Type": "application/json", "X-Session-Token": citizen[1],
                         "Idempotency-Key": str(uuid.uuid4())},
            )  # fmt: skip
            response = conn.getresponse()
            text = response.read()[:500]
            location = response.getheader("Location") or ""
        finally:
            conn.close()
        if response.status == 201:
            return path
        if response.status in (301, 308) and location.endswith("/"):
            print(f"[bench] {path} redirects to {location}: loading {location}")
            path = location
            continue
        raise RuntimeError(f"POST {path} answered {response.status}: {text!r}")
    raise RuntimeError(f"POST {INTAKE_PATH} keeps redirecting")


def intake_requests(
    catalogue: Catalogue,
    citizens: list[tuple[int, str]],
    starts: dict[str, int] | None = None,
    path: str = INTAKE_PATH,
) -> Callable[[int], bytes]:
    """POST /api/v1/complaints as the citizens in rotation, each with a fresh Idempotency-Key."""

    def make(number: int) -> bytes:
        if starts is not None and number == 0:
            starts.setdefault("wall0", time.time_ns())
        return loadgen.build_request(
            "POST",
            path,
            headers={
                "Content-Type": "application/json",
                "Accept-Language": "en",
                "X-Session-Token": citizens[number % len(citizens)][1],
                "Idempotency-Key": str(uuid.uuid4()),
            },
            body=orjson.dumps(intake_body(catalogue, number)),
        )

    return make
