"""Schemathesis over the native API's OpenAPI file, against a real fake cloud.

Every generated request (valid and invalid bodies, paths, headers) must get an answer
the file documents, in time, never a 5xx; the fake cloud must log no traceback.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fake_backends.server import serve_clouds
from fake_backends.spec import BackendSpec
from plumbing.clock import ScaledClock
from tests.fuzz.support import HANG_S, TALLY, counting_tracebacks, fuzz_settings, served

SPEC = resources.files("fake_backends.api").joinpath("openapi.yaml")
schema = schemathesis.openapi.from_path(str(SPEC))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def cloud() -> Iterator[dict[str, Any]]:
    def make() -> Any:
        return serve_clouds([BackendSpec(name="manila")], clock=ScaledClock(1.0), workers=1)

    with counting_tracebacks() as tracebacks, served(make) as clouds:
        url = clouds[0].url
        token = requests.post(url + "/v1/auth/token", json={"api_key": "key-manila"}, timeout=10)
        yield {"url": url, "token": token.json()["access_token"]}
    assert not tracebacks.seen, tracebacks.seen[:3]


@schema.parametrize()
@fuzz_settings(25, 400)
def test_every_answer_is_documented_and_none_is_a_server_error(case, cloud):
    headers = {"Authorization": f"Bearer {cloud['token']}"}
    t0 = time.monotonic()
    response = case.call(base_url=cloud["url"], headers=headers, timeout=HANG_S)
    TALLY["api_requests"] += 1
    if time.monotonic() - t0 > HANG_S:
        TALLY["hangs"] += 1
    if response.status_code >= 500:
        TALLY["server_errors"] += 1
    case.validate_response(response, checks=CHECKS)
