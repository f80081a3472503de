"""Serving fake clouds over HTTP, and the one start-up every caller shares.

- :func:`cloud_app`: one cloud's aiohttp application: the native API's routes behind the
  JSON-error and HTTP-fault middlewares, plus ``/metrics``;
- :func:`serve_cloud`: load the device, serve the app with every protocol mounted on it
  (the IBM protocol under ``/ibm``, IonQ's under ``/ionq``) on loopback and run the
  cloud's and the protocols' background tasks until the block ends;
- :func:`serve_clouds`: the Aer executor (warmed for every device) plus a set of clouds:
  what a game day, ``gameday serve`` and the embedded load-test target start.

>>> async with serve_clouds([BackendSpec("manila")], clock=ScaledClock(60)) as clouds:
...     print(clouds[0].url)                                    # doctest: +SKIP

A protocol is a sub-application mounted in :func:`serve_cloud`, its routes named after
the endpoint kinds: it gets the HTTP-level faults for free, and its errors (the
faults' included) in its own shape (see ``fake_backends.api.middleware``).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from aiohttp import web

from fake_backends import records
from fake_backends.api.ibm.app import PREFIX as IBM_PREFIX
from fake_backends.api.ibm.app import IbmApi
from fake_backends.api.ionq.app import PREFIX as IONQ_PREFIX
from fake_backends.api.ionq.app import IonqApi
from fake_backends.api.middleware import http_faults, protocol_errors
from fake_backends.api.native import NativeApi
from fake_backends.api.observe import observed
from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.metrics import metrics_handler
from fake_backends.spec import BackendSpec
from plumbing.clock import Clock
from plumbing.http_errors import json_errors
from plumbing.records import EventSink
from plumbing.serve import background, serve_app

__all__ = ["cloud_app", "serve_cloud", "serve_clouds"]

MAX_BODY_BYTES = 1 << 20


def cloud_app(cloud: FakeCloud) -> web.Application:
    """The aiohttp application serving ``cloud``'s native API and /metrics.

    Its middlewares (request observers, JSON errors, each mounted protocol's error shape,
    HTTP faults) also serve the protocols :func:`serve_cloud` mounts on it.
    """
    app = web.Application(
        middlewares=[
            observed(cloud.observers),
            json_errors,
            protocol_errors,
            http_faults(cloud.control, cloud.clock),
        ],
        client_max_size=MAX_BODY_BYTES,
    )
    NativeApi(cloud).register(app.router)
    app.router.add_get("/metrics", metrics_handler(cloud), name="metrics")
    return app


@asynccontextmanager
async def serve_cloud(
    cloud: FakeCloud, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[FakeCloud]:
    """Load the device, serve the API and run the backend's tasks until the block ends."""
    await cloud.load_device()
    app = cloud_app(cloud)
    ibm = IbmApi(cloud)
    app.add_subapp(IBM_PREFIX, ibm.app())
    app.add_subapp(IONQ_PREFIX, IonqApi(cloud).app())
    async with serve_app(app, host, port) as url, background(*cloud.tasks(), *ibm.tasks()):
        # Everything loaded so far (aiohttp, the device, the harness) lives for the
        # whole run: take it out of the cyclic collector's way, whose full passes
        # otherwise stall the event loop for 20-35 ms (measured) under load.
        gc.freeze()
        cloud.url = url
        cloud.emit(
            records.STARTED({"backend": cloud.name, "url": url, "device": cloud.spec.device})
        )
        yield cloud


@asynccontextmanager
async def serve_clouds(
    specs: Sequence[BackendSpec],
    *,
    clock: Clock,
    seed: int = 0,
    workers: int | None = None,
    on_event: EventSink | None = None,
    host: str = "127.0.0.1",
    ports: Mapping[str, int] | None = None,
) -> AsyncIterator[list[FakeCloud]]:
    """Start the Aer workers and one served cloud per spec (each draws from the named
    streams of ``seed`` for its own name: :mod:`plumbing.seeds`).

    The workers load every device, the parser and the transpiler before any cloud
    starts, so the first jobs do not pay for it in scenario time. ``ports`` fixes a
    cloud's port by name (default 0: an ephemeral one).
    """
    async with AsyncExitStack() as stack:
        executor = await stack.enter_async_context(AerExecutor(workers, seed=seed))
        await executor.warm(sorted({s.device for s in specs}))
        clouds = []
        for spec in specs:
            cloud = FakeCloud(spec, clock=clock, executor=executor, on_event=on_event, seed=seed)
            port = (ports or {}).get(spec.name, 0)
            clouds.append(await stack.enter_async_context(serve_cloud(cloud, host, port)))
        yield clouds
