"""What every provider protocol's app (IBM's, IonQ's) shares: its cloud, the job a
request names, answers in the provider's own field names, and one body parser.

An ``api.schema_change`` fault renames a field of the native API's; a provider's app
renames the field of the same meaning in its own spelling (``FIELDS``), in every answer
its handlers send through :meth:`ProviderApi.json`. The native API keeps its own
(:mod:`.native`): there the field names are the native ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiohttp import web

from fake_backends.api.middleware import refusals_as_api_errors
from fake_backends.cloud import FakeCloud
from fake_backends.queue import BackendJob
from fake_backends.switches import SchemaChange
from plumbing.http_errors import json_object

__all__ = ["ProviderApi"]


class ProviderApi:
    """The part of a provider protocol's handlers and state that is not the provider's."""

    #: native field name -> the provider's field of that meaning (what a schema change
    #: renames there; a field the provider lacks is not named)
    FIELDS: ClassVar[Mapping[str, str]]

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud

    def tenant(self, request: web.Request) -> str:
        """The tenant a request's credentials name, or the protocol's 401."""
        raise NotImplementedError

    def job(self, request: web.Request) -> BackendJob:
        """The job the route's ``{id}`` names, if it is the request's tenant's (else the
        shared refusal, as the protocol renders it)."""
        tenant = self.tenant(request)
        with refusals_as_api_errors():
            return self.cloud.job_service.lookup(tenant, request.match_info["id"])

    def renamed(self, body: Any) -> Any:
        """``body`` with the fields an ``api.schema_change`` fault renamed."""
        schema = self.cloud.switches.get(SchemaChange)
        return body if schema is None else schema.apply(body, self.FIELDS)

    def json(self, body: Any, status: int = 200) -> web.Response:
        """A JSON answer of the provider's, renamed as above."""
        return web.json_response(self.renamed(body), status=status)

    # one parser for every protocol's bodies (plumbing.http_errors)
    json_object = staticmethod(json_object)
