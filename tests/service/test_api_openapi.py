"""The OpenAPI document: well-formed, every schema valid JSON Schema, and exactly the routes served.

That real responses match it is checked where they are made, in test_api.py and test_jobs.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from ocr.types import CONTRACT_FIELDS

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def values_of(node: Any, key: str) -> Iterator[Any]:
    """Every value stored under `key` anywhere in the document (not looking inside those values)."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            else:
                yield from values_of(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from values_of(item, key)


def test_it_is_an_openapi_3_1_document(openapi):
    document = openapi.document
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    for path, item in document["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            assert method in HTTP_METHODS, f"{path}: {method}"
            assert operation["operationId"] and operation["responses"], f"{method} {path}"
            for status in operation["responses"]:
                assert re.fullmatch(r"[1-5]\d\d", status), f"{method} {path}: {status}"


@pytest.mark.parametrize("name", ["Error", "Contract", "DoneCheck", "QueuedReceipt", "PendingCheck", "FailedCheck",
                                  "Check", "CheckList"])
def test_each_component_schema_is_valid_json_schema(openapi, name):
    jsonschema.Draft202012Validator.check_schema(openapi.schemas()[name])


def test_every_inline_schema_is_valid_json_schema(openapi):
    for schema in values_of(openapi.document["paths"], "schema"):
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_reference_resolves(openapi):
    resolver = openapi.registry.resolver()
    refs = set(values_of(openapi.document, "$ref"))
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        resolver.lookup(f"urn:certguard:openapi{ref}")


def test_the_document_lists_exactly_the_routes_served(app, openapi):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", "{id}", rule.rule.removeprefix("/api/v1"))
            served |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in openapi.document["paths"].items() for method in item}
    assert documented == served


def test_the_contract_schema_names_every_contract_field(openapi):
    assert set(openapi.schemas()["Contract"]["properties"]["fields"]["required"]) == set(CONTRACT_FIELDS)


@pytest.mark.parametrize(("instance", "valid"), [
    ({"error": {"code": "corrupt", "message": "damaged"}}, True),
    ({"error": {"code": "corrupt"}}, False),
    ({"detail": "x"}, False),
])
def test_the_error_schema_accepts_only_the_error_shape(openapi, instance, valid):
    if valid:
        openapi.validate(instance, "Error")
    else:
        with pytest.raises(jsonschema.ValidationError):
            openapi.validate(instance, "Error")
