"""Random requests to the fault proxy's Toxiproxy API: never a 5xx but its own
documented 500 (a port it cannot bind), always JSON, always in time, and afterwards the
server still works: ``/reset`` clears every toxic and a new proxy can be made.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from harness.netchaos import NetChaosServer
from tests.fuzz.support import HANG_S, TALLY, counting_tracebacks, fuzz_settings, served

NAMES = st.sampled_from(["a", "b", "c", "latency_downstream", "x y", "%2e%2e", "ü", ""])
TOXICS = ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer",
          "limit_data", "nope"]  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
PROXY = st.fixed_dictionaries(
    {},
    optional={
        "name": NAMES,
        "upstream": st.sampled_from(["127.0.0.1:9", "", "nowhere", "127.0.0.1:99999", "[::1]:9"]),
        "listen": st.sampled_from(["127.0.0.1:0", "", "0.0.0.0:0", "127.0.0.1:1", "x:y"]),
        "enabled": st.one_of(st.booleans(), SCALARS),
    },
)
TOXIC = st.fixed_dictionaries(
    {},
    optional={
        "name": NAMES,
        "type": st.sampled_from(TOXICS),
        "stream": st.sampled_from(["upstream", "downstream", "sideways"]),
        "toxicity": SCALARS,
        "attributes": st.one_of(
            st.dictionaries(
                st.sampled_from(
                    [
                        "latency",
                        "jitter",
                        "rate",
                        "delay",
                        "timeout",
                        "bytes",
                        "average_size",
                        "size_variation",
                    ]
                ),  # fmt: skip
                SCALARS,
                max_size=3,
            ),
            JSON,
        ),
    },
)
BODY = st.one_of(PROXY, TOXIC, JSON, st.lists(PROXY, max_size=3), st.binary(max_size=40))
REQUEST = st.tuples(
    st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    st.sampled_from(
        [
            "/proxies",
            "/proxies/{p}",
            "/proxies/{p}/toxics",
            "/proxies/{p}/toxics/{t}",
            "/populate",
            "/reset",
            "/version",
            "/metrics",
            "/nope",
        ]
    ),  # fmt: skip
    NAMES,
    NAMES,
    BODY,
)


@pytest.fixture(scope="module")
def proxy_api() -> Iterator[str]:
    with counting_tracebacks() as tracebacks, served(lambda: NetChaosServer().running()) as s:
        yield s.url
    assert not tracebacks.seen, tracebacks.seen[:3]


def send(url: str, method: str, path: str, body: Any) -> requests.Response:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
    t0 = time.monotonic()
    response = requests.request(method, url + path, timeout=HANG_S, **kwargs)
    TALLY["proxy_requests"] += 1
    if time.monotonic() - t0 > HANG_S:
        TALLY["hangs"] += 1
    return response


@fuzz_settings(120, 1500)
@given(requests_=st.lists(REQUEST, min_size=1, max_size=6))
def test_random_requests_get_json_answers_and_leave_a_working_server(proxy_api, requests_):
    for method, template, p, t, body in requests_:
        path = template.format(p=p, t=t)
        response = send(proxy_api, method, path, body)
        if response.status_code >= 500:
            bind = response.json().get("error", "").startswith("listen tcp")
            if not bind:  # Toxiproxy's own 500: the listen address cannot be bound
                TALLY["server_errors"] += 1
                raise AssertionError((method, path, body, response.status_code, response.text))
        if response.status_code != 204 and path != "/metrics":
            response.json()  # JSON, strict: no NaN
    assert send(proxy_api, "POST", "/reset", None).status_code in (204, 500)
    for name, proxy in send(proxy_api, "GET", "/proxies", None).json().items():
        assert proxy["toxics"] == [], name
        send(proxy_api, "DELETE", f"/proxies/{quote(name, safe='')}", None)
    made = send(proxy_api, "POST", "/proxies", {"name": "after", "upstream": "127.0.0.1:9"})
    assert made.status_code == 201, made.text
    send(proxy_api, "DELETE", "/proxies/after", None)
