"""What the harness hands a SUT, as environment variables: the one wiring table.

A ``command`` SUT gets these in its environment; for a SUT started by hand (``http``)
``gameday env SCENARIO`` prints them. The same values reach the embedded reference
orchestrator through its config. :data:`TABLE` is the documentation (README "Wiring by
environment" is generated from the same rows and a test keeps them equal).

The alert webhook and the ``/events`` endpoint answer only requests carrying the run's
secret (issue 16: forged alerts would feed TTD and TTM): the URLs handed out carry it as
``?token=...``; a SUT may instead send ``Authorization: Bearer <QGAMEDAY_WEBHOOK_SECRET>``.

Every backend also speaks IBM Quantum's protocol (:mod:`fake_backends.api.ibm`): the
``QISKIT_IBM_*``, ``IAM_URL`` and ``QISKIT_FUNCTIONS_EXPERIMENTAL`` variables point an
unmodified ``QiskitRuntimeService()`` at the first backend (through its fault proxy),
and replace any real IBM account in the caller's environment: a game day never reaches
IBM's cloud. Each backend's IBM roots are in ``QGAMEDAY_BACKEND_<NAME>_IBM_URL`` /
``_IAM_URL``.

Every backend speaks IonQ's v0.4 protocol too (:mod:`fake_backends.api.ionq`): the
``IONQ_API_KEY`` / ``IONQ_API_URL`` variables (and the other names qiskit-ionq reads)
point an unmodified ``IonQProvider()`` at the first backend the target reaches over
IonQ (``target.protocols: {<name>: ionq}``), else at the first backend; its IonQ name is
``qpu.<name>``. Each backend's IonQ root is in ``QGAMEDAY_BACKEND_<NAME>_IONQ_URL``. So
one SUT can use both SDKs at once, each configured by its own variables alone.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fake_backends.api.ibm.settings import client_environment
from fake_backends.api.ionq import settings as ionq

__all__ = [
    "METRICS_LINK",
    "SECRET_ENV",
    "WEBHOOK_LINK",
    "TABLE",
    "BackendEndpoint",
    "Wiring",
    "backend_var",
    "new_secret",
    "redact",
    "with_token",
]

SECRET_ENV = "QGAMEDAY_WEBHOOK_SECRET"

#: The fault-proxy links of the telemetry paths (a backend name cannot start with ``_``):
#: the SUT reaches the alert webhook through ``_webhook``, and the harness scrapes the
#: SUT's metrics (``target.metrics``) through ``_metrics``, so ``telemetry.*`` faults can
#: break either path alone.
WEBHOOK_LINK = "_webhook"
METRICS_LINK = "_metrics"

TABLE: tuple[tuple[str, str], ...] = (
    ("QGAMEDAY_WEBHOOK_URL", "POST alerts here (Alertmanager webhook JSON or the flat "
     "`{status, alertname}` form); carries the run's secret as `?token=`"),
    ("QGAMEDAY_EVENTS_URL", "POST what you did about an incident: `{kind: mitigation, name, "
     "summary}`; scored as time to mitigate; same secret"),
    (SECRET_ENV, "the run's webhook secret alone (send `Authorization: Bearer <secret>` "
     "instead of the query token if you prefer)"),
    ("QGAMEDAY_BACKENDS", "backend names, comma-separated, in scenario order"),
    ("QGAMEDAY_BACKEND_<NAME>_URL", "that backend's native API base URL, through its fault "
     "proxy (NAME upper-cased, other characters as `_`)"),
    ("QGAMEDAY_BACKEND_<NAME>_API_KEY", "the API key for `POST /v1/auth/token`"),
    ("QGAMEDAY_BACKEND_<NAME>_IBM_URL", "that backend's IBM Quantum API root "
     "(qiskit-ibm-runtime's `url`), through its fault proxy; the API key is its token"),
    ("QGAMEDAY_BACKEND_<NAME>_IAM_URL", "that backend's IAM root (qiskit-ibm-runtime's "
     "`IAM_URL`), through its fault proxy"),
    ("QGAMEDAY_BACKEND_<NAME>_IONQ_URL", "that backend's IonQ v0.4 API root "
     "(qiskit-ionq's `url`), through its fault proxy; its IonQ name is `qpu.<name>`"),
    ("QGAMEDAY_BACKENDS_JSON", "all backends as JSON: `[{name, url, api_key}]`"),
    ("QISKIT_IBM_TOKEN", "qiskit-ibm-runtime's own settings, for the first backend: "
     "`QiskitRuntimeService()` with no arguments connects to it (the API key)"),
    ("QISKIT_IBM_URL", "... its IBM Quantum API root (same as `_IBM_URL` above)"),
    ("QISKIT_IBM_INSTANCE", "... an instance CRN (any value works)"),
    ("QISKIT_IBM_CHANNEL", "... `ibm_quantum_platform`"),
    ("IAM_URL", "... its IAM root, where the API key is exchanged for a token"),
    ("QISKIT_FUNCTIONS_EXPERIMENTAL", "... `1`: the client skips IBM Cloud's instance "
     "search, which it would make against IBM's own host"),
    ("IONQ_API_KEY", "qiskit-ionq's own settings, for the first backend the target "
     "reaches over IonQ (`protocols: {<name>: ionq}`), else the first: `IonQProvider()` "
     "with no arguments connects to it (the API key; `QISKIT_IONQ_API_TOKEN` and "
     "`IONQ_API_TOKEN`, which the client reads first, hold it too)"),
    ("IONQ_API_URL", "... its IonQ API root (same as `_IONQ_URL` above; also in "
     "`QISKIT_IONQ_API_URL`)"),
    ("QISKIT_IONQ_API_TOKEN", "... the API key again (the name qiskit-ionq reads first)"),
    ("IONQ_API_TOKEN", "... the API key again"),
    ("QISKIT_IONQ_API_URL", "... the IonQ API root again (read before `IONQ_API_URL`)"),
    ("QGAMEDAY_TIME_SCALE", "scenario seconds per wall second (information only: under "
     "libfaketime your clock already runs at it)"),
    ("QGAMEDAY_SEED", "the run's seed"),
    ("PORT", "`command` only: the free port to listen on (also `{port}` in `run` and `env`)"),
    ("QGAMEDAY_SUT_DIR", "`command` only: a folder in the run folder the SUT may write "
     "(e.g. its job store); the same across `sut.crash` restarts"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BackendEndpoint:
    """Where the SUT reaches one fake backend (through its fault proxy), and its API key."""

    name: str
    url: str
    api_key: str


def backend_var(name: str, what: str) -> str:
    """``QGAMEDAY_BACKEND_<NAME>_<WHAT>`` for a backend name."""
    return f"QGAMEDAY_BACKEND_{re.sub(r'[^A-Z0-9]', '_', name.upper())}_{what}"


def new_secret() -> str:
    """The run's webhook secret: ``$QGAMEDAY_WEBHOOK_SECRET`` when set, else a fresh one.

    From ``secrets``, not from the seed: a secret predictable from the scenario would
    protect nothing, and it changes nothing the game day measures.
    """
    return os.environ.get(SECRET_ENV) or secrets.token_urlsafe(18)


def with_token(url: str, secret: str) -> str:
    return f"{url}?{urlencode({'token': secret})}"


def redact(url: str) -> str:
    """A URL with its ``token`` query value hidden (for journals and reports)."""
    return re.sub(r"([?&]token=)[^&]+", r"\1<secret>", url)


@dataclass(frozen=True, slots=True)
class Wiring:
    """Everything a SUT is told about one run."""

    backends: tuple[BackendEndpoint, ...]
    webhook_base: str  # http://127.0.0.1:PORT (the receiver's base URL)
    secret: str
    time_scale: float
    seed: int
    #: backend name -> the protocol the SUT reaches it by (``target.protocols``)
    protocols: Mapping[str, str] = field(default_factory=dict)

    @property
    def webhook_url(self) -> str:
        return with_token(self.webhook_base + "/alerts", self.secret)

    @property
    def events_url(self) -> str:
        return with_token(self.webhook_base + "/events", self.secret)

    def env(self) -> dict[str, str]:
        """The variables of :data:`TABLE` (but the ``command``-only ones)."""
        out = {
            "QGAMEDAY_WEBHOOK_URL": self.webhook_url,
            "QGAMEDAY_EVENTS_URL": self.events_url,
            SECRET_ENV: self.secret,
            "QGAMEDAY_BACKENDS": ",".join(b.name for b in self.backends),
            "QGAMEDAY_BACKENDS_JSON": json.dumps(
                [{"name": b.name, "url": b.url, "api_key": b.api_key} for b in self.backends]
            ),
            "QGAMEDAY_TIME_SCALE": f"{self.time_scale:g}",
            "QGAMEDAY_SEED": str(self.seed),
        }
        over_ionq = [b.name for b in self.backends if self.protocols.get(b.name) == "ionq"]
        for i, b in enumerate(self.backends):
            out[backend_var(b.name, "URL")] = b.url
            out[backend_var(b.name, "API_KEY")] = b.api_key
            ibm = client_environment(b.url, b.api_key, b.name)
            out[backend_var(b.name, "IBM_URL")] = ibm["QISKIT_IBM_URL"]
            out[backend_var(b.name, "IAM_URL")] = ibm["IAM_URL"]
            ionq_env = ionq.client_environment(b.url, b.api_key)
            out[backend_var(b.name, "IONQ_URL")] = ionq_env["IONQ_API_URL"]
            if i == 0:
                out |= ibm
            if b.name == (over_ionq[0] if over_ionq else self.backends[0].name):
                out |= ionq_env
        return out

    def sut_backends(self) -> dict[str, str]:
        """Each backend's URL as the SUT was given it (through its fault proxy)."""
        return {b.name: b.url for b in self.backends}


def shell_lines(env: Mapping[str, str], order: Sequence[str] = ()) -> list[str]:
    """``export KEY='value'`` lines, ``order`` first, for ``eval`` or ``. file``."""
    keys = [k for k in order if k in env] + sorted(k for k in env if k not in order)
    return [f"export {k}={_quote(env[k])}" for k in keys]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"
