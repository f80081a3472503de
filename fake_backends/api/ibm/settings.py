"""The environment that points an unmodified qiskit-ibm-runtime at a fake cloud.

qiskit-ibm-runtime 0.51 reads its account from the environment before any saved
account (``AccountManager.get``): an orchestrator that calls ``QiskitRuntimeService()``
with no arguments needs no code change. Why each variable (read from the client's
source):

- ``QISKIT_IBM_TOKEN``: the API key (required for the environment route).
- ``QISKIT_IBM_URL``: the API root, used verbatim only because it contains
  "experimental"; any other local URL is rewritten to ``quantum.<host>/api/v1``
  without its port (``api/utils.py`` ``default_runtime_url_resolver``).
- ``QISKIT_IBM_INSTANCE``: a CRN; its value is not checked by the fake.
- ``QISKIT_FUNCTIONS_EXPERIMENTAL``: any value skips the instance lookup in IBM
  Cloud Global Search (``Account.list_instances``), which the client would make
  against ``api.global-search-tagging.<host>`` without a port: unreachable.
- ``IAM_URL``: where the API key is exchanged for an access token
  (``POST $IAM_URL/identity/token``).
- ``QISKIT_IBM_CHANNEL``: the channel the environment account is created for.

This module imports nothing (the harness's wiring uses it without loading the server).

A saved account file cannot replace the environment: ``IAM_URL`` and
``QISKIT_FUNCTIONS_EXPERIMENTAL`` exist only as environment variables. Code that passes
``channel=``/``token=``/``url=`` or ``name=`` to ``QiskitRuntimeService`` ignores the
environment, and must be given the same values by its own configuration.
"""

from __future__ import annotations

__all__ = ["API_PATH", "IAM_PATH", "PREFIX", "client_environment"]

PREFIX = "/ibm"  # where the IBM protocol is mounted on a cloud's server
IAM_PATH = "/iam"  # under PREFIX: IBM Cloud IAM's token endpoint root
API_PATH = "/experimental/api/v1"  # under PREFIX: the Quantum API root

CRN_PREFIX = "crn:v1:bluemix:public:quantum-computing:us-east:a/qgameday"


def client_environment(base_url: str, api_key: str, backend: str) -> dict[str, str]:
    """Environment variables that point qiskit-ibm-runtime at the cloud at ``base_url``.

    ``base_url`` is what the client reaches (in a game day: the backend's fault proxy).

    >>> client_environment("http://127.0.0.1:8801", "key-manila", "manila")["IAM_URL"]
    'http://127.0.0.1:8801/ibm/iam'
    """
    base = base_url.rstrip("/")
    return {
        "QISKIT_IBM_TOKEN": api_key,
        "QISKIT_IBM_URL": f"{base}{PREFIX}{API_PATH}",
        "QISKIT_IBM_INSTANCE": f"{CRN_PREFIX}:{backend}::",
        "QISKIT_IBM_CHANNEL": "ibm_quantum_platform",
        "QISKIT_FUNCTIONS_EXPERIMENTAL": "1",
        "IAM_URL": f"{base}{PREFIX}{IAM_PATH}",
    }
