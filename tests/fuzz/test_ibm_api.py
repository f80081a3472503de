"""Hypothesis over the IBM Quantum protocol's routes (``fake_backends/api/ibm``).

There is no OpenAPI file for IBM's protocol here, so the requests are generated from
its route table: every route, with path parameters that exist or not, hostile text,
query strings, bodies that are a real SamplerV2 job (what the SDK's encoder sends)
mutated field by field, any JSON, deep JSON, broken JSON and raw bytes, under any
content type, with a valid, another tenant's, a broken or no token. Every answer must
come in time, never be a 5xx, and an error must be JSON in IBM's shape (IAM's for the
token endpoint; a request the HTTP parser refuses before routing gets the server's own
JSON error); the fake cloud must log no traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from fake_backends.api.ibm.app import API_PATH, IAM_PATH, PREFIX
from fake_backends.api.ibm.iam import APIKEY_GRANT
from fake_backends.server import serve_clouds
from fake_backends.spec import BackendSpec
from plumbing.clock import ScaledClock
from tests.fuzz.support import HANG_S, TALLY, counting_tracebacks, fuzz_settings, served

#: (method, path under the API root or IAM's, with {name}/{id} for path parameters)
ROUTES = [
    ("POST", IAM_PATH + "/identity/token"),
    ("GET", API_PATH + "/backends"),
    ("GET", API_PATH + "/backends/{name}/configuration"),
    ("GET", API_PATH + "/backends/{name}/properties"),
    ("GET", API_PATH + "/backends/{name}/status"),
    ("GET", API_PATH + "/instances/usage"),
    ("POST", API_PATH + "/jobs"),
    ("GET", API_PATH + "/jobs"),
    ("GET", API_PATH + "/jobs/{id}"),
    ("GET", API_PATH + "/jobs/{id}/metrics"),
    ("GET", API_PATH + "/jobs/{id}/logs"),
    ("GET", API_PATH + "/jobs/{id}/results"),
    ("POST", API_PATH + "/jobs/{id}/cancel"),
    ("POST", API_PATH + "/sessions"),
    ("GET", API_PATH + "/sessions/{id}"),
    ("PATCH", API_PATH + "/sessions/{id}"),
    ("DELETE", API_PATH + "/sessions/{id}/close"),
]


def sampler_body() -> dict[str, Any]:
    """What ``SamplerV2(mode=backend).run([bell])`` POSTs, through the SDK's own encoder."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.primitives.containers.sampler_pub import SamplerPub
    from qiskit_ibm_runtime import RuntimeEncoder
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    isa = transpile(bell, backend=FakeManilaV2(), seed_transpiler=0)  # ISA circuits only
    pub = SamplerPub.coerce((isa, None, 16))
    params = {"pubs": [pub], "options": {}, "version": 2, "support_qiskit": True}
    body = {"program_id": "sampler", "params": params, "backend": "manila"}
    return dict(json.loads(json.dumps(body, cls=RuntimeEncoder)))


@pytest.fixture(scope="module")
def cloud() -> Iterator[dict[str, Any]]:
    def make() -> Any:
        return serve_clouds([BackendSpec(name="manila")], clock=ScaledClock(1.0), workers=1)

    body = sampler_body()
    with counting_tracebacks() as tracebacks, served(make) as clouds:
        base = clouds[0].url + PREFIX
        form = {"grant_type": APIKEY_GRANT, "apikey": "key-manila"}
        token = requests.post(base + IAM_PATH + "/identity/token", data=form, timeout=10)
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        job = requests.post(base + API_PATH + "/jobs", json=body, headers=headers, timeout=30)
        session = requests.post(
            base + API_PATH + "/sessions", json={"mode": "batch"}, headers=headers, timeout=10
        )
        assert (job.status_code, session.status_code) == (200, 200), (job.text, session.text)
        yield {
            "base": base,
            "token": token.json()["access_token"],
            "ids": [job.json()["id"], session.json()["id"]],
            "body": body,
        }
    assert not tracebacks.seen, tracebacks.seen[:3]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
HOSTILE_TEXT = st.sampled_from(
    ["", "..", "%", "%00", "\x00", "\ud800", "a" * 5000, "-1", "1e309", "NaN", "[]", "{}"]
) | st.text(max_size=40)


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: st.DrawFn, body: dict[str, Any]) -> Any:
    """The real body with some fields dropped or replaced (at the top or in params)."""
    out = json.loads(json.dumps(body))
    for _ in range(draw(st.integers(1, 3))):
        where = (
            out
            if draw(st.booleans()) or not isinstance(out.get("params"), dict)
            else (out["params"])
        )
        key = draw(st.sampled_from(sorted(where) or ["x"]) | st.text(max_size=8))
        if draw(st.booleans()):
            where.pop(key, None)
        else:
            where[key] = draw(JSON)
    return out


@st.composite
def requests_(draw: st.DrawFn, ids: list[str], body: dict[str, Any]) -> dict[str, Any]:
    method, template = draw(st.sampled_from(ROUTES))
    ident = draw(st.sampled_from([*ids, "manila"]) | HOSTILE_TEXT)
    segment = quote(ident.encode("utf-8", "surrogatepass"), safe="")  # a lone surrogate too
    path = template.replace("{name}", segment).replace("{id}", segment)
    data: bytes | None = draw(
        st.one_of(
            st.none(),
            mutated(body).map(lambda b: json.dumps(b).encode()),
            JSON.map(lambda v: json.dumps(v).encode()),
            st.integers(1, 3000).map(lambda n: ("[" * n + "]" * n).encode()),
            st.sampled_from([b'{"params": NaN}', b'{"a": "\\ud800"}', b"{", b"\xff\xfe"]),
            st.binary(max_size=200),
            st.just(f"grant_type={APIKEY_GRANT}&apikey=key-manila".encode()),
        )
    )
    content_type = draw(
        st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain",
             "multipart/form-data", "application/json; charset=latin-1", ""]
        )
    )  # fmt: skip
    auth = draw(st.sampled_from(["valid", "none", "garbage", "apikey", "bearer-empty"]))
    query = draw(st.dictionaries(st.sampled_from(
        ["limit", "offset", "pending", "backend", "job_tags", "session_id", "exclude_params",
         "sort", "created_after"]), HOSTILE_TEXT.map(_raw), max_size=3))  # fmt: skip
    return {"method": method, "path": path, "data": data, "content_type": content_type,
            "auth": auth, "query": query, "iam": template.startswith(IAM_PATH)}  # fmt: skip


def _headers(req: dict[str, Any], token: str) -> dict[str, str]:
    headers = {"Content-Type": req["content_type"]} if req["content_type"] else {}
    auth = {
        "valid": f"Bearer {token}",
        "garbage": "Bearer not.a.token",
        "apikey": "apikey key-manila",
        "bearer-empty": "Bearer ",
    }.get(req["auth"])
    if auth is not None:
        headers["Authorization"] = auth
    return headers


@fuzz_settings(150, 1500)
@given(data=st.data())
def test_no_ibm_route_answers_a_malformed_request_with_a_5xx(data, cloud):
    req = data.draw(requests_(cloud["ids"], cloud["body"]))
    t0 = time.monotonic()
    response = requests.request(
        req["method"],
        cloud["base"] + req["path"],
        params=req["query"],
        data=req["data"],
        headers=_headers(req, cloud["token"]),
        timeout=HANG_S,
    )
    TALLY["ibm_requests"] += 1
    if time.monotonic() - t0 > HANG_S:
        TALLY["hangs"] += 1
    if response.status_code >= 500:
        TALLY["server_errors"] += 1
    assert response.status_code < 500, (req, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["Content-Type"].startswith("application/json"), response.text
        answer = response.json()
        if "error" in answer:
            # refused by the HTTP parser before any route (a request line over 8 KiB):
            # the server's own shape, as nothing says yet which protocol it was meant for
            assert answer["error"]["code"] == "bad_request", answer
        elif req["iam"]:
            assert {"errorCode", "errorMessage"} <= set(answer), answer
        else:
            assert isinstance(answer["errors"][0]["message"], str), answer
