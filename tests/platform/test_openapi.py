"""The OpenAPI schema: served as JSON and YAML, browsable, and describing the conventions."""

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator(api_version="v1").get_schema(request=None, public=True)


def test_schema_is_served_as_yaml_and_json(api):
    as_yaml = api.get("/api/v1/schema/")
    as_json = api.get("/api/v1/schema/?format=json")
    assert as_yaml.status_code == as_json.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(as_yaml.content)["openapi"].startswith("3.")
    assert as_json.json()["info"]["title"] == "CityPortal API"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_documentation_pages_are_served(api, path):
    response = api.get(path)
    assert response.status_code == 200
    assert b"/api/v1/schema/" in response.content
    # served from our own static files, so the docs work offline and send nobody to a CDN
    assert b"/static/drf_spectacular_sidecar/" in response.content
    assert b"cdn.jsdelivr.net" not in response.content


def test_idempotent_endpoints_document_the_key_header(schema):
    optional = schema["paths"]["/api/v1/conventions/gadgets"]["post"]["parameters"]
    required = schema["paths"]["/api/v1/conventions/gadgets/strict"]["post"]["parameters"]
    assert _pick(optional) == {"in": "header", "name": "Idempotency-Key", "required": False}
    assert _pick(required) == {"in": "header", "name": "Idempotency-Key", "required": True}


def test_errors_are_documented_as_problem_details(schema):
    responses = schema["paths"]["/api/v1/conventions/gadgets"]["post"]["responses"]
    assert set(responses) == {"201", "400", "401", "403", "409", "415", "422", "429"}
    problem = responses["400"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/ValidationProblem"}
    assert "code" in schema["components"]["schemas"]["Problem"]["required"]


def test_session_token_is_a_documented_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["sessionToken"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Session-Token",
        "description": scheme["description"],
    }


def _pick(parameters):
    (found,) = [p for p in parameters if p["name"] == "Idempotency-Key"]
    return {"in": found["in"], "name": found["name"], "required": found.get("required", False)}
