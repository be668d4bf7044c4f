"""Helpers for the service tests: the OpenAPI document as a validator of real responses, job consumers."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from review_helpers import add_flagged

from service.api.routes import openapi_document
from service.auth import create_user
from service.jobs import EmbeddedConsumer, get_jobs

DOCUMENT_URI = "urn:certguard:openapi"


class OpenApi:
    """The served OpenAPI document; `validate` checks an instance against one of its schemas."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)

    def schemas(self) -> dict[str, Any]:
        return self.document["components"]["schemas"]

    def validate(self, instance: Any, schema_name: str) -> None:
        schema = {"$ref": f"{DOCUMENT_URI}#/components/schemas/{schema_name}"}
        jsonschema.Draft202012Validator(schema, registry=self.registry).validate(instance)


@pytest.fixture(scope="session")
def openapi() -> OpenApi:
    return OpenApi(openapi_document())


@pytest.fixture
def consumer() -> Iterator[Callable[..., EmbeddedConsumer]]:
    """consumer(app, workers=1) starts a Huey consumer for `app` in threads, against its real queue
    storage (as inside `certguard serve`); all are stopped after the test."""
    started: list[EmbeddedConsumer] = []

    def start(app: Flask, workers: int = 1) -> EmbeddedConsumer:
        with app.app_context():
            started.append(EmbeddedConsumer(get_jobs().huey, workers=workers, periodic=False, max_delay=0.2))
        started[-1].start()
        return started[-1]

    yield start
    for running in started:
        running.stop(graceful=True)


@pytest.fixture
def redis_app(tmp_path: Path, make_app: Callable[..., Flask], redis_url: str) -> Iterator[Flask]:
    """An app whose job queue is on the real Redis, under a queue name of its own, emptied afterwards."""
    app = make_app(tmp_path / "data", CERTGUARD_REDIS_URL=redis_url,
                   CERTGUARD_QUEUE_NAME=f"certguard-test-{secrets.token_hex(4)}")
    yield app
    with app.app_context():
        get_jobs().huey.storage.flush_all()


@pytest.fixture
def assert_error(openapi):
    """assert_error(response, status, code): a JSON error, shaped as the OpenAPI document says."""

    def check(response, status: int, code: str) -> None:
        assert response.status_code == status, response.get_data(as_text=True)
        assert response.is_json
        assert response.json["error"]["code"] == code
        openapi.validate(response.json, "Error")

    return check


@pytest.fixture
def flagged(app):
    """flagged(**options) → the id of a flagged check (see review_helpers.add_flagged) by inspector ines."""
    with app.app_context():
        inspector = create_user("ines", "inspector")

    def add(**options) -> int:
        with app.app_context():
            return add_flagged(inspector, **options).id

    return add
