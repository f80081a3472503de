"""Network faults through the Toxiproxy HTTP API (v2.12).

- :class:`NetChaosServer`: an embedded Toxiproxy-compatible server (asyncio + aiohttp)
  with the same endpoints, status codes, error bodies and toxic semantics, so any
  Toxiproxy client drives it; ``gameday proxy`` serves it standalone.
- :class:`ToxiproxyClient`: a typed async client for it or for a real toxiproxy-server.
- :func:`network_links`: what the runner uses: one proxy per SUT -> backend link, on
  the server named by ``TOXIPROXY_URL`` or on an embedded one, cleaned up on the way out.

Modules: ``toxics`` (types and what they do to a link), ``link`` (the data plane: one
connection, two directions), ``proxy`` (listener, connections, toxic chain),
``collection`` (the named proxies), ``api`` (HTTP), ``server`` (serving both),
``client``, ``links`` (runner wiring).
"""

from harness.netchaos.api import TOXIPROXY_VERSION
from harness.netchaos.client import ProxyInfo, ToxicInfo, ToxiproxyClient
from harness.netchaos.links import TOXIPROXY_URL_ENV, NetworkLink, NetworkLinks, network_links
from harness.netchaos.server import NetChaosServer

__all__ = [
    "TOXIPROXY_URL_ENV",
    "TOXIPROXY_VERSION",
    "NetChaosServer",
    "NetworkLink",
    "NetworkLinks",
    "ProxyInfo",
    "ToxicInfo",
    "ToxiproxyClient",
    "network_links",
]
