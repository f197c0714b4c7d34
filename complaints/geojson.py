"""Districts from GeoJSON: read an uploaded FeatureCollection (or one Feature, or a bare
geometry), check every feature, and create or update a jurisdiction's districts by code; and
the reverse, a jurisdiction's districts as a FeatureCollection.

Each feature needs a polygon or multipolygon in WGS 84 longitude/latitude (RFC 7946) and the
properties `code` (a slug) and a name: `name_en`, `name_th`, `name_zh_hans`, or a plain `name`
taken as the English one. A file is checked whole before anything is written, and every
problem is reported with the feature's position and code, so one upload fixes them all.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import District, validate_geojson_area
from identity.models import Jurisdiction

MAX_BYTES = 5 * 1024 * 1024  # a city's districts at street precision take a few hundred KB
MAX_FEATURES = 500
NAME_LANGUAGES = ("en", "th", "zh_hans")
CODE_MAX_LENGTH = 40
NAME_MAX_LENGTH = 200
# RFC 7946 drops `crs`, but older files still carry one; these all mean WGS 84 lon/lat.
WGS84_NAMES = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "urn:ogc:def:crs:EPSG::4326",
        "EPSG:4326",
    }
)


class GeoJSONImportError(Exception):
    """The upload cannot be imported; `errors` lists every problem found, one line each."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class DistrictFeature:
    """One checked feature: what a district row will hold."""

    code: str
    names: dict[str, str]  # language → name; only the languages the file gives
    boundary: dict[str, Any]


@dataclass(frozen=True)
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def load_geojson(raw: bytes) -> Any:
    """Decode an uploaded file: at most MAX_BYTES of UTF-8 JSON."""
    if len(raw) > MAX_BYTES:
        raise GeoJSONImportError(
            [
                _("The file is %(size)d bytes; the limit is %(limit)d bytes.")
                % {"size": len(raw), "limit": MAX_BYTES}
            ]
        )
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise GeoJSONImportError([_("The file is not UTF-8 text.")]) from error
    except json.JSONDecodeError as error:
        raise GeoJSONImportError(
            [
                _("The file is not JSON: %(error)s (line %(line)d, column %(column)d).")
                % {"error": error.msg, "line": error.lineno, "column": error.colno}
            ]
        ) from error


def parse_districts(data: Any, *, code: str = "", name: str = "") -> list[DistrictFeature]:
    """Check a GeoJSON object and return its districts. A bare geometry (or a feature without
    them) takes `code` and `name` from the arguments. Raises GeoJSONImportError listing every
    problem."""
    if not isinstance(data, Mapping):
        raise GeoJSONImportError([_("Give a GeoJSON object (a FeatureCollection or a Feature).")])
    errors = _check_crs(data)
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise GeoJSONImportError([*errors, _("The FeatureCollection has no features.")])
        if len(features) > MAX_FEATURES:
            raise GeoJSONImportError(
                [
                    *errors,
                    _("The file has %(count)d features; the limit is %(limit)d.")
                    % {"count": len(features), "limit": MAX_FEATURES},
                ]
            )
    elif kind == "Feature":
        features = [data]
    elif kind in {"Polygon", "MultiPolygon"}:
        features = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise GeoJSONImportError(
            [
                *errors,
                _("Unexpected GeoJSON type %(type)s: give a FeatureCollection, a Feature, or a "
                  "Polygon or MultiPolygon.") % {"type": json.dumps(kind)},
            ]
        )  # fmt: skip
    defaults = {"code": code.strip(), "name": name.strip()}
    districts: list[DistrictFeature] = []
    first_seen: dict[str, int] = {}
    for index, feature in enumerate(features, start=1):
        district, problems = _parse_feature(feature, defaults)
        label = _feature_label(index, district.code if district else _code_of(feature))
        errors.extend(f"{label}: {problem}" for problem in problems)
        if district is None:
            continue
        if district.code in first_seen:
            errors.append(
                f"{label}: "
                + _("The code is already used by feature %(index)d.")
                % {"index": first_seen[district.code]}
            )
            continue
        first_seen[district.code] = index
        districts.append(district)
    if errors:
        raise GeoJSONImportError(errors)
    return districts


@transaction.atomic
def import_districts(
    *, jurisdiction: Jurisdiction, data: Any, code: str = "", name: str = ""
) -> ImportResult:
    """Create or update a jurisdiction's districts by code from GeoJSON, all or nothing.
    Districts the file does not mention are left as they are; routing picks the new
    boundaries up with the next complaint."""
    features = parse_districts(data, code=code, name=name)
    existing = {
        district.code: district
        for district in District.objects.select_for_update().filter(
            jurisdiction=jurisdiction, code__in=[feature.code for feature in features]
        )
    }
    result = ImportResult()
    for feature in features:
        district = existing.get(feature.code)
        if district is None:
            district = District(jurisdiction=jurisdiction, code=feature.code)
            result.created.append(feature.code)
        else:
            result.updated.append(feature.code)
        district.boundary = feature.boundary
        for language, text in feature.names.items():
            setattr(district, f"name_{language}", text)
        district.save()
    return result


def districts_as_geojson(districts: Iterable[District]) -> dict[str, Any]:
    """A FeatureCollection of districts that import_districts reads back unchanged."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": district.code,
                    "jurisdiction": district.jurisdiction.code,
                    **{
                        f"name_{language}": getattr(district, f"name_{language}") or ""
                        for language in NAME_LANGUAGES
                    },
                },
                "geometry": district.boundary,
            }
            for district in districts
        ],
    }


def bounding_box(boundary: Mapping[str, Any]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a (multi)polygon, or None if it cannot be read."""
    from shapely.geometry import shape

    try:
        geometry = shape(boundary)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None
    if geometry.is_empty:
        return None
    west, south, east, north = geometry.bounds
    return (west, south, east, north)


def _check_crs(data: Mapping[str, Any]) -> list[str]:
    crs = data.get("crs")
    if crs is None:
        return []
    named = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    if named in WGS84_NAMES:
        return []
    return [
        _("The file uses the coordinate system %(crs)s; give WGS 84 longitude and latitude "
          "(EPSG:4326), as GeoJSON requires.") % {"crs": json.dumps(named or crs)}
    ]  # fmt: skip


def _code_of(feature: Any) -> str:
    if isinstance(feature, Mapping) and isinstance(feature.get("properties"), Mapping):
        value = feature["properties"].get("code")
        return value if isinstance(value, str) else ""
    return ""


def _feature_label(index: int, code: str) -> str:
    if code:
        return _("Feature %(index)d (%(code)s)") % {"index": index, "code": code}
    return _("Feature %(index)d") % {"index": index}


def _parse_feature(
    feature: Any, defaults: Mapping[str, str]
) -> tuple[DistrictFeature | None, list[str]]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        return None, [_("It is not a GeoJSON Feature.")]
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        return None, [_("Its properties are not an object.")]
    problems: list[str] = []
    code = _text(properties.get("code")) or defaults["code"]
    if not code:
        problems.append(_("Give the district's code in the property “code”."))
    elif len(code) > CODE_MAX_LENGTH:
        problems.append(
            _("The code is longer than %(limit)d characters.") % {"limit": CODE_MAX_LENGTH}
        )
    else:
        try:
            validate_slug(code)
        except ValidationError:
            problems.append(_("The code may hold only letters, digits, hyphens and underscores."))
    names = {
        language: text
        for language in NAME_LANGUAGES
        if (text := _text(properties.get(f"name_{language}")))
    }
    fallback = _text(properties.get("name")) or defaults["name"]
    if "en" not in names and fallback:
        names["en"] = fallback
    if not names:
        problems.append(_("Give a name in “name_en”, “name_th”, “name_zh_hans” or “name”."))
    for language, text in names.items():
        if len(text) > NAME_MAX_LENGTH:
            problems.append(
                _("The name (%(language)s) is longer than %(limit)d characters.")
                % {"language": language, "limit": NAME_MAX_LENGTH}
            )
    geometry = feature.get("geometry")
    problems.extend(_geometry_problems(geometry))
    if problems or not isinstance(geometry, Mapping):
        return None, problems
    return DistrictFeature(code=code, names=names, boundary=dict(geometry)), []


def _geometry_problems(geometry: Any) -> list[str]:
    if geometry is None:
        return [_("The feature has no geometry.")]
    try:
        validate_geojson_area(geometry)
    except ValidationError as error:
        return list(error.messages)
    bounds = bounding_box(geometry)
    if bounds is None:
        return [_("The geometry cannot be read.")]
    west, south, east, north = bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return [
            _("The coordinates are outside longitude −180…180 and latitude −90…90; give "
              "them as [longitude, latitude] in WGS 84.")
        ]  # fmt: skip
    return []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
