"""The OpenAPI 3 schema: valid, warning-free, complete, and free of biometric outputs."""

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.api.endpoints import ENDPOINTS, PUBLIC_OPERATIONS

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
SCHEMA_PATHS = {"/api/schema/", "/api/schema/ui/"}


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    document = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular emitted warnings or errors"
    return document


def test_schema_is_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_management_command_validates_without_warnings(tmp_path):
    # The same check CI runs: fails on any warning and on an invalid document.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3")


def test_schema_lists_exactly_the_endpoints_in_the_role_table(schema):
    documented = {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path not in SCHEMA_PATHS
        for method in operations
        if method in HTTP_METHODS
    }
    assert documented == {e.label for e in ENDPOINTS} | PUBLIC_OPERATIONS


def test_every_path_parameter_is_a_uuid(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert parameter["schema"] == {"type": "string", "format": "uuid"}, path


def test_every_write_documents_its_refusals(schema):
    for path, operations in schema["paths"].items():
        operation = operations.get("post")
        if operation is None or path == "/api/auth/token/":
            continue
        assert {"400", "403", "404", "409"} <= set(operation["responses"]), path


def test_biometric_flags_are_optional_and_nothing_biometric_is_an_output(schema):
    components = schema["components"]["schemas"]
    for name, flag in (
        ("WatchlistEntry", "has_image"),
        ("AlertListOutput", "has_crop"),
        ("AlertDetailOutput", "has_crop"),
    ):
        assert flag in components[name]["properties"]
        assert flag not in components[name].get("required", [])
    forbidden = {"embedding", "reference_image", "crop", "photo", "source_url"}
    for name, component in components.items():
        if name.endswith("Request"):
            continue  # uploads are inputs
        assert forbidden.isdisjoint(component.get("properties", {})), name


def test_list_endpoints_document_their_filters(schema):
    def query_names(path):
        return {p["name"] for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}

    assert {"status", "borough", "use_case", "starts_after", "starts_before", "page"} <= (
        query_names("/api/deployments/")
    )
    assert {"deployment", "adjudication", "page"} <= query_names("/api/alerts/")
    assert {"status", "category", "page"} <= query_names("/api/watchlists/{public_id}/entries/")


@pytest.mark.django_db
def test_schema_is_served_as_json(api, planner):
    api.force_authenticate(planner)
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    validate_schema(response.json())
