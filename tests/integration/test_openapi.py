"""The OpenAPI file is valid, covers every route, and real answers match its schemas."""

from __future__ import annotations

import asyncio
from importlib import resources

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from fake_backends.server import cloud_app
from harness.load.circuits import circuit
from tests.integration.test_fake_backend_api import call, token_for

SPEC = yaml.safe_load(
    resources.files("fake_backends.api").joinpath("openapi.yaml").read_text("utf-8")
)


def _check(path: str, method: str, status: int, body) -> None:
    response = SPEC["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        where = response["$ref"][1:]
    else:
        where = "/".join(["/paths", _escape(path), method, "responses", str(status)])
    pointer = where + "/content/application~1json/schema"
    # the whole document is the root, so the schemas' own $refs resolve
    validator = Draft202012Validator({**SPEC, "$ref": "#" + pointer})
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, (path, method, status, errors)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def test_the_document_is_valid_openapi():
    validate(SPEC)
    with pytest.raises(AssertionError, match="required property"):
        _check("/v1/backends", "get", 200, {"backends": [{"name": "x"}]})


async def test_every_route_is_documented_and_every_documented_route_exists(start_cloud):
    cloud, _ = await start_cloud()
    served = {
        (r.resource.canonical, r.method.lower())
        for r in cloud_app(cloud).router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    documented = {(p, m) for p, ops in SPEC["paths"].items() for m in ops if m != "parameters"}
    assert served == documented


async def test_real_answers_match_the_schemas(http, start_cloud):
    cloud, _ = await start_cloud()
    u = cloud.url
    status, body, _ = await call(http, "POST", u + "/v1/auth/token", json={"api_key": "key-manila"})
    _check("/v1/auth/token", "post", status, body)
    token = await token_for(http, u)
    for path in ("/v1/backends", "/v1/backends/manila/properties"):
        status, body, _ = await call(http, "GET", u + path, token)
        _check(path.replace("manila", "{name}"), "get", status, body)
    sub = {"circuit": circuit("bell").qasm, "shots": 64, "memory": True, "priority": 2}
    status, job, _ = await call(http, "POST", u + "/v1/jobs", token, json=sub)
    _check("/v1/jobs", "post", status, job)
    status, body, _ = await call(http, "POST", u + "/v1/jobs", token, json={"shots": 1})
    _check("/v1/jobs", "post", status, body)
    status, body, _ = await call(http, "GET", f"{u}/v1/jobs/{job['id']}", token)
    _check("/v1/jobs/{id}", "get", status, body)
    await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=30)
    status, body, _ = await call(http, "GET", f"{u}/v1/jobs/{job['id']}/result", token)
    _check("/v1/jobs/{id}/result", "get", status, body)
    assert len(body["memory"]) == 64
    status, body, _ = await call(http, "DELETE", f"{u}/v1/jobs/{job['id']}", token)
    _check("/v1/jobs/{id}", "delete", status, body)
    status, body, _ = await call(http, "GET", u + "/healthz")
    _check("/healthz", "get", status, body)
    async with http.get(u + "/openapi.yaml") as resp:
        assert yaml.safe_load(await resp.text()) == SPEC


async def test_the_token_endpoints_error_answers_are_documented(http, start_cloud):
    # regression (issue 16, item 15): 400 and 415 were real answers the file lacked
    cloud, _ = await start_cloud()
    url = cloud.url + "/v1/auth/token"
    status, body, _ = await call(http, "POST", url, json={"key": "x"})
    assert status == 400
    _check("/v1/auth/token", "post", status, body)
    async with http.post(url, data="api_key=x", headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 415
        _check("/v1/auth/token", "post", r.status, await r.json())
