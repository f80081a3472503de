"""The IonQ v0.4 protocol of one fake cloud, as an aiohttp sub-app.

Mounted at :data:`PREFIX` on the cloud's server, next to the native API and IBM's, over
the same state (jobs, API keys, queue, calibration, faults). Routes are named by
endpoint kind, so the cloud's HTTP-fault middleware treats them like every other
protocol's; errors, the faults' included, are rendered in IonQ's shape
(:mod:`fake_backends.api.ionq.errors`).

=======  ==============================================  ============  ===================
method   path (under ``/ionq/v0.4``)                      kind          what
=======  ==============================================  ============  ===================
GET      /backends                                       backends      the one backend
GET      /backends/{name}                                backends      qubits, status
GET      /backends/{name}/characterizations              properties    newest first
GET      /backends/{name}/characterizations/{id}         properties    one of them
POST     /jobs                                           submit        ionq.circuit.v1
GET      /jobs                                           status        the key's jobs
GET      /jobs/{id}                                      status        status, stats, urls
GET      /jobs/{id}/results/probabilities                result        {"<int>": p}
GET      /jobs/{id}/results/histogram                    result        {"<int>": count}
PUT      /jobs/{id}/status/cancel                        cancel        cancel a queued job
=======  ==============================================  ============  ===================

Every call but the two backend routes needs ``Authorization: apiKey <key>``: the key is
checked on every call (IonQ has no tokens). While an ``auth.token_expiry`` fault holds
(the cloud's credentials refused for its window) a valid key is refused with 401
``token_revoked``, and accepted again once the fault is reverted.
"""

from __future__ import annotations

from aiohttp import web

from fake_backends import records
from fake_backends.api.ionq.backends import Backends
from fake_backends.api.ionq.errors import render
from fake_backends.api.ionq.jobs import Jobs
from fake_backends.api.ionq.settings import API_PATH, PREFIX
from fake_backends.api.middleware import ERROR_RENDERER
from fake_backends.api.provider import ProviderApi
from fake_backends.cloud import FakeCloud
from plumbing.http_errors import ApiError

__all__ = ["API_PATH", "PREFIX", "IonqApi"]

#: Native field names ``api.schema_change`` may rename -> the IonQ field of that meaning.
IONQ_FIELDS = {"id": "id", "status": "status", "backends": "backend"}


class IonqApi(ProviderApi):
    """The IonQ protocol's handlers and state for one :class:`~fake_backends.cloud.FakeCloud`."""

    FIELDS = IONQ_FIELDS

    def __init__(self, cloud: FakeCloud) -> None:
        super().__init__(cloud)
        self.backends = Backends(self)
        self.jobs = Jobs(self)

    def app(self) -> web.Application:
        """The sub-application to mount at :data:`PREFIX`."""
        app = web.Application()
        app[ERROR_RENDERER] = render
        r, api, b, j = app.router, API_PATH, self.backends, self.jobs
        r.add_get(f"{api}/backends", b.list, name="backends")
        r.add_get(f"{api}/backends/{{name}}", b.get, name="backends:one")
        chars = f"{api}/backends/{{name}}/characterizations"
        r.add_get(chars, b.characterizations, name="properties")
        r.add_get(f"{chars}/{{id}}", b.characterization, name="properties:one")
        r.add_post(f"{api}/jobs", j.submit, name="submit")
        r.add_get(f"{api}/jobs", j.list, name="status:list")
        r.add_get(f"{api}/jobs/{{id}}", j.get, name="status")
        r.add_get(f"{api}/jobs/{{id}}/results/probabilities", j.probabilities, name="result")
        r.add_get(f"{api}/jobs/{{id}}/results/histogram", j.histogram, name="result:histogram")
        r.add_put(f"{api}/jobs/{{id}}/status/cancel", j.cancel, name="cancel")
        return app

    # -- helpers shared by the handlers -------------------------------------------

    def tenant(self, request: web.Request) -> str:
        """The tenant of a request's ``apiKey``, or a 401 saying why not."""
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "apikey" or not value.strip():
            raise ApiError(401, "missing_api_key", "send Authorization: apiKey <key>")
        key = value.strip()
        tenant = self.cloud.tokens.tenant_of_key(key)
        reason = None
        if tenant is None:
            reason, message = "invalid_api_key", "API key not recognised"
        elif self.cloud.tokens.key_revoked(key):
            reason, message = "api_key_revoked", "API key has been revoked; rotate it"
        elif self.cloud.control.token_endpoint_status is not None:
            reason, message = "token_revoked", "API key refused (credentials revoked)"
        if reason is not None:
            self.cloud.emit(records.AUTH_REJECTED({"backend": self.cloud.name, "reason": reason}))
            raise ApiError(401, reason, message)
        assert tenant is not None
        return tenant
