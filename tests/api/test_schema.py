"""The OpenAPI 3 schema: valid, warning-free, complete, and free of biometric outputs."""

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.api.endpoints import ENDPOINTS, PUBLIC_OPERATIONS

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
SCHEMA_PATHS = {"/api/schema/", "/api/schema/ui/"}


def api_operations(schema):
    """(path, method, operation) for this API's own operations under /api/."""
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/") or path in SCHEMA_PATHS:
            continue
        for method, operation in operations.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def referenced_components(schema, node):
    """Names of the components `node` uses, directly or through other components."""
    names, stack = set(), [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in names:
                    names.add(name)
                    stack.append(schema["components"]["schemas"][name])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return names


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
    documented = {f"{method.upper()} {path}" for path, method, _ in api_operations(schema)}
    assert documented == {e.label for e in ENDPOINTS} | PUBLIC_OPERATIONS


def test_every_path_parameter_is_a_uuid(schema):
    for path, _, operation in api_operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"] == {"type": "string", "format": "uuid"}, path


def test_every_write_documents_its_refusals(schema):
    for path, method, operation in api_operations(schema):
        if method == "post" and path != "/api/auth/token/":
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
    outputs = set()
    for _, _, operation in api_operations(schema):
        outputs |= referenced_components(schema, operation["responses"])
    assert {"WatchlistEntry", "AlertDetailOutput", "Signage"} <= outputs
    for name in outputs:
        assert forbidden.isdisjoint(components[name].get("properties", {})), name


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
