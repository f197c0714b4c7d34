"""Districts from GeoJSON: every feature is checked and every problem named by the feature's
position and code; a good file creates or updates districts by code, all or nothing; the
export reads back unchanged."""

import json
from typing import Any

import pytest

from complaints.geojson import (
    MAX_BYTES,
    MAX_FEATURES,
    DistrictFeature,
    GeoJSONImportError,
    districts_as_geojson,
    import_districts,
    load_geojson,
    parse_districts,
)
from complaints.models import District
from complaints.routing import routing_table
from tests.factories import CityFactory, DistrictFactory, square

NIMMAN = square(98.967, 18.800, 0.01)
OLD_CITY = square(98.987, 18.788, 0.01)
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[98.9, 18.7], [99.0, 18.8], [99.0, 18.7], [98.9, 18.8], [98.9, 18.7]]],
}


def feature(geometry: Any = None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry or NIMMAN}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def problems_of(data: Any, **options: str) -> list[str]:
    with pytest.raises(GeoJSONImportError) as raised:
        parse_districts(data, **options)
    return raised.value.errors


# Reading -----------------------------------------------------------------------------------


def test_a_feature_collection_gives_one_district_per_feature_with_its_names():
    # given
    data = collection(
        feature(NIMMAN, code="srivijaya", name_en="Srivijaya", name_th="ศรีวิชัย",
                name_zh_hans="西威猜"),
        feature(OLD_CITY, code="mengrai", name="Mengrai"),
    )  # fmt: skip
    # when
    districts = parse_districts(data)
    # then
    assert districts == [
        DistrictFeature(
            code="srivijaya",
            names={"en": "Srivijaya", "th": "ศรีวิชัย", "zh_hans": "西威猜"},
            boundary=NIMMAN,
        ),
        DistrictFeature(code="mengrai", names={"en": "Mengrai"}, boundary=OLD_CITY),
    ]


def test_a_single_feature_is_read_like_a_collection_of_one():
    districts = parse_districts(feature(code="kawila", name_th="กาวิละ"))
    assert districts == [DistrictFeature(code="kawila", names={"th": "กาวิละ"}, boundary=NIMMAN)]


def test_a_bare_geometry_takes_its_code_and_name_from_the_form():
    districts = parse_districts(OLD_CITY, code="old-city", name="Old City")
    assert districts == [
        DistrictFeature(code="old-city", names={"en": "Old City"}, boundary=OLD_CITY)
    ]


def test_a_bare_geometry_without_a_code_or_name_is_refused():
    assert problems_of(OLD_CITY) == [
        "Feature 1: Give the district's code in the property “code”.",
        "Feature 1: Give a name in “name_en”, “name_th”, “name_zh_hans” or “name”.",
    ]


def test_a_multipolygon_is_an_area():
    two_parts = {
        "type": "MultiPolygon",
        "coordinates": [NIMMAN["coordinates"], OLD_CITY["coordinates"]],
    }
    (district,) = parse_districts(feature(two_parts, code="two-parts", name="Two parts"))
    assert district.boundary == two_parts


def test_every_problem_is_named_by_the_features_position_and_code():
    # given: one good feature and five bad ones
    data = collection(
        feature(code="good", name="Good"),
        feature({"type": "Point", "coordinates": [98.98, 18.79]}, code="a-point", name="Point"),
        feature(BOWTIE, code="bowtie", name="Bowtie"),
        feature(code="no name"),
        feature(square(18.8, 98.9, 0.01), code="swapped", name="Swapped"),
        {"type": "Feature", "properties": {"name": "No geometry", "code": "empty"}},
    )
    # when
    problems = problems_of(data)
    # then
    assert problems == [
        "Feature 2 (a-point): Give a GeoJSON Polygon or MultiPolygon geometry.",
        "Feature 3 (bowtie): The area's boundary crosses itself or is empty.",
        "Feature 4 (no name): The code may hold only letters, digits, hyphens and underscores.",
        "Feature 4 (no name): Give a name in “name_en”, “name_th”, “name_zh_hans” or “name”.",
        "Feature 5 (swapped): The coordinates are outside longitude −180…180 and latitude "
        "−90…90; give them as [longitude, latitude] in WGS 84.",
        "Feature 6 (empty): The feature has no geometry.",
    ]


def test_a_code_used_twice_is_refused_naming_the_first_use():
    problems = problems_of(
        collection(feature(code="nimman", name="A"), feature(code="nimman", name="B"))
    )
    assert problems == ["Feature 2 (nimman): The code is already used by feature 1."]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "Give a GeoJSON object (a FeatureCollection or a Feature)."),
        ({"type": "FeatureCollection", "features": []}, "The FeatureCollection has no features."),
        (
            {"type": "GeometryCollection", "geometries": []},
            'Unexpected GeoJSON type "GeometryCollection": give a FeatureCollection, a Feature, '
            "or a Polygon or MultiPolygon.",
        ),
        (
            {"type": "FeatureCollection", "features": [42]},
            "Feature 1: It is not a GeoJSON Feature.",
        ),
        (
            collection(feature(code="x" * 41, name="Long")),
            f"Feature 1 ({'x' * 41}): The code is longer than 40 characters.",
        ),
    ],
)
def test_what_is_not_a_set_of_districts_is_refused(data, problem):
    assert problems_of(data) == [problem]


def test_too_many_features_are_refused():
    data = collection(*[feature(code=f"d{n}", name="D") for n in range(MAX_FEATURES + 1)])
    assert problems_of(data) == [f"The file has {MAX_FEATURES + 1} features; the limit is 500."]


def test_a_coordinate_system_other_than_wgs84_is_refused():
    data = collection(feature(code="a", name="A"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32647"}}
    assert problems_of(data) == [
        'The file uses the coordinate system "urn:ogc:def:crs:EPSG::32647"; give WGS 84 '
        "longitude and latitude (EPSG:4326), as GeoJSON requires."
    ]


def test_the_old_crs84_declaration_is_accepted():
    data = collection(feature(code="a", name="A"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert [district.code for district in parse_districts(data)] == ["a"]


def test_a_file_is_decoded_as_utf8_json():
    raw = json.dumps(feature(code="a", name_th="ศรีวิชัย"), ensure_ascii=False).encode()
    assert load_geojson(b"\xef\xbb\xbf" + raw)["properties"]["name_th"] == "ศรีวิชัย"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"type": ', "The file is not JSON: Expecting value (line 1, column 10)."),
        (b"\xff\xfe{}", "The file is not UTF-8 text."),
        (b" " * (MAX_BYTES + 1),
         f"The file is {MAX_BYTES + 1} bytes; the limit is {MAX_BYTES} bytes."),
    ],
)  # fmt: skip
def test_a_file_that_is_not_small_utf8_json_is_refused(raw, problem):
    with pytest.raises(GeoJSONImportError) as raised:
        load_geojson(raw)
    assert raised.value.errors == [problem]


# Writing -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_and_updates_districts_by_code_and_leaves_the_others():
    # given
    city = CityFactory.create()
    kept = DistrictFactory.create(jurisdiction=city, code="kept", name_en="Kept")
    DistrictFactory.create(jurisdiction=city, code="mengrai", name_en="Old name", name_th="เก่า")
    # when
    result = import_districts(
        jurisdiction=city,
        data=collection(
            feature(NIMMAN, code="srivijaya", name_en="Srivijaya", name_th="ศรีวิชัย",
                    name_zh_hans="西威猜"),
            feature(OLD_CITY, code="mengrai", name_en="Mengrai"),
        ),
    )  # fmt: skip
    # then
    assert (result.created, result.updated) == (["srivijaya"], ["mengrai"])
    rows = {
        d.code: (d.name, d.name_en, d.name_th, d.name_zh_hans, d.boundary)
        for d in District.objects.filter(jurisdiction=city)
    }
    assert rows == {
        "kept": ("Kept", "Kept", None, None, kept.boundary),
        "mengrai": ("Mengrai", "Mengrai", "เก่า", None, OLD_CITY),
        "srivijaya": ("Srivijaya", "Srivijaya", "ศรีวิชัย", "西威猜", NIMMAN),
    }


@pytest.mark.django_db
def test_a_file_with_one_bad_feature_imports_nothing():
    # given
    city = CityFactory.create()
    DistrictFactory.create(jurisdiction=city, code="mengrai", name_en="Mengrai", boundary=OLD_CITY)
    # when
    with pytest.raises(GeoJSONImportError):
        import_districts(
            jurisdiction=city,
            data=collection(
                feature(NIMMAN, code="mengrai", name="Moved"),
                feature(BOWTIE, code="bowtie", name="Bowtie"),
            ),
        )
    # then
    assert list(District.objects.values_list("code", "name_en", "boundary")) == [
        ("mengrai", "Mengrai", OLD_CITY)
    ]


@pytest.mark.django_db
def test_routing_finds_points_in_an_imported_district_at_once():
    # given: the routing table was built before the import
    city = CityFactory.create()
    assert routing_table(city.pk).district_at(18.800, 98.967) is None
    # when
    import_districts(jurisdiction=city, data=feature(code="srivijaya", name="Srivijaya"))
    # then
    district = District.objects.get(code="srivijaya")
    assert routing_table(city.pk).district_at(18.800, 98.967) == district.pk


@pytest.mark.django_db
def test_the_export_reads_back_unchanged():
    # given
    city = CityFactory.create(code="th-demo-city")
    DistrictFactory.create(
        jurisdiction=city, code="srivijaya", name_en="Srivijaya", name_th="ศรีวิชัย",
        name_zh_hans="西威猜", boundary=NIMMAN,
    )  # fmt: skip
    # when
    exported = districts_as_geojson(District.objects.select_related("jurisdiction"))
    # then
    assert exported == collection(
        feature(NIMMAN, code="srivijaya", jurisdiction="th-demo-city", name_en="Srivijaya",
                name_th="ศรีวิชัย", name_zh_hans="西威猜"),
    )  # fmt: skip
    assert parse_districts(json.loads(json.dumps(exported))) == [
        DistrictFeature(
            code="srivijaya",
            names={"en": "Srivijaya", "th": "ศรีวิชัย", "zh_hans": "西威猜"},
            boundary=NIMMAN,
        )
    ]
