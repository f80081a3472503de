"""The IBM Quantum (Qiskit Runtime) protocol of one fake cloud, as an aiohttp sub-app.

Mounted at :data:`PREFIX` on the cloud's server, next to the native API, over the same
state (jobs, tokens, queue, calibration, faults). Routes are named by endpoint kind
(``token``, ``backends``, ``properties``, ``usage``, ``submit``, ``status``,
``result``, ``cancel``, ``sessions``; ``kind:suffix`` where several routes share a
kind, as aiohttp names are unique), so the cloud's HTTP-fault middleware treats them
exactly like the native routes; errors, the faults' included, are rendered in IBM's
shapes (:mod:`fake_backends.api.ibm.errors`).

=======  =======================================  ===========  =========================
method   path (under ``/ibm``)                     kind         what
=======  =======================================  ===========  =========================
POST     /iam/identity/token                      token        API key -> JWT (IAM)
GET      {API}/backends                           backends     ``{"devices": [...]}``
GET      {API}/backends/{name}/configuration      backends     device configuration
GET      {API}/backends/{name}/properties         properties   served calibration
GET      {API}/backends/{name}/status             backends     state, status, queue
GET      {API}/instances/usage                    usage        the tenant's QPU seconds
POST     {API}/jobs                               submit       run a primitive program
GET      {API}/jobs                               status       the tenant's jobs
GET      {API}/jobs/{id}                          status       state, reason
GET      {API}/jobs/{id}/metrics                  status       timestamps, QPU seconds
GET      {API}/jobs/{id}/logs                     status       (empty)
GET      {API}/jobs/{id}/results                  result       RuntimeEncoder JSON
POST     {API}/jobs/{id}/cancel                   cancel       cancel a queued job
POST     {API}/sessions                           sessions     open a session or batch
GET      {API}/sessions/{id}                      sessions     details
PATCH    {API}/sessions/{id}                      sessions     stop accepting jobs
DELETE   {API}/sessions/{id}/close                sessions     cancel the session
=======  =======================================  ===========  =========================

``{API}`` is ``/experimental/api/v1``: qiskit-ibm-runtime uses a URL verbatim only when
it contains "experimental" (any other local URL it rewrites to
``quantum.<host>/api/v1`` and drops the port).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from fake_backends.api.ibm.backends import Backends
from fake_backends.api.ibm.errors import render
from fake_backends.api.ibm.iam import Iam
from fake_backends.api.ibm.jobs import Jobs
from fake_backends.api.ibm.sessions import Sessions
from fake_backends.api.ibm.settings import API_PATH, IAM_PATH, PREFIX
from fake_backends.api.middleware import ERROR_RENDERER
from fake_backends.api.provider import ProviderApi
from fake_backends.cloud import FakeCloud

__all__ = ["API_PATH", "IAM_PATH", "PREFIX", "IbmApi"]


#: Native field names ``api.schema_change`` may rename -> the IBM field of that meaning.
IBM_FIELDS = {
    "access_token": "access_token",
    "expires_in": "expires_in",
    "id": "id",
    "status": "state",
    "backends": "devices",
}


class IbmApi(ProviderApi):
    """The IBM protocol's handlers and state for one :class:`~fake_backends.cloud.FakeCloud`."""

    FIELDS = IBM_FIELDS

    def __init__(self, cloud: FakeCloud) -> None:
        super().__init__(cloud)
        self.iam = Iam(self)
        self.backends = Backends(self)
        self.jobs = Jobs(self)
        self.sessions = Sessions(self)

    def app(self) -> web.Application:
        """The sub-application to mount at :data:`PREFIX`."""
        app = web.Application()
        app[ERROR_RENDERER] = render
        r = app.router
        r.add_post(f"{IAM_PATH}/identity/token", self.iam.issue_token, name="token")
        api = API_PATH
        b, j, s = self.backends, self.jobs, self.sessions
        r.add_get(f"{api}/backends", b.list, name="backends")
        r.add_get(f"{api}/backends/{{name}}/configuration", b.configuration, name="backends:conf")
        r.add_get(f"{api}/backends/{{name}}/properties", b.properties, name="properties")
        r.add_get(f"{api}/backends/{{name}}/status", b.status, name="backends:status")
        r.add_get(f"{api}/instances/usage", b.usage, name="usage")
        r.add_post(f"{api}/jobs", j.submit, name="submit")
        r.add_get(f"{api}/jobs", j.list, name="status:list")
        r.add_get(f"{api}/jobs/{{id}}", j.get, name="status")
        r.add_get(f"{api}/jobs/{{id}}/metrics", j.metrics, name="status:metrics")
        r.add_get(f"{api}/jobs/{{id}}/logs", j.logs, name="status:logs")
        r.add_get(f"{api}/jobs/{{id}}/results", j.results, name="result")
        r.add_post(f"{api}/jobs/{{id}}/cancel", j.cancel, name="cancel")
        r.add_post(f"{api}/sessions", s.create, name="sessions")
        r.add_get(f"{api}/sessions/{{id}}", s.details, name="sessions:details")
        r.add_patch(f"{api}/sessions/{{id}}", s.update, name="sessions:update")
        r.add_delete(f"{api}/sessions/{{id}}/close", s.cancel, name="sessions:close")
        return app

    def tasks(self) -> tuple[Coroutine[Any, Any, None], ...]:
        """Background work of the protocol (session expiry), for the cloud's task group."""
        return (self.sessions.run(),)

    # -- helpers shared by the handlers -------------------------------------------

    def tenant(self, request: web.Request) -> str:
        return self.iam.tenant(request)
