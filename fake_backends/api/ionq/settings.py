"""The environment that points an unmodified qiskit-ionq at a fake cloud.

qiskit-ionq 1.1 reads its credentials when ``IonQProvider()`` is built
(``helpers.resolve_credentials``): the key from ``IONQ_API_KEY`` (or
``QISKIT_IONQ_API_TOKEN`` / ``IONQ_API_TOKEN``), the API root from ``IONQ_API_URL`` (or
``QISKIT_IONQ_API_URL``), each looked up in a ``.env`` file first, then in the
environment. Arguments (``IonQProvider(token, url)``) win over both, but the number of
qubits of a backend is always asked of the *environment's* URL (``get_n_qubits``, with
no credentials): without ``IONQ_API_URL`` the client asks api.ionq.co and assumes 4
qubits when that fails. So set the environment even when passing arguments. A ``.env``
file in the client's working directory wins over the environment.

This module imports nothing (the harness's wiring uses it without loading the server).
"""

from __future__ import annotations

__all__ = ["API_PATH", "PREFIX", "backend_name", "client_environment"]

PREFIX = "/ionq"  # where the IonQ protocol is mounted on a cloud's server
API_PATH = "/v0.4"  # under PREFIX: the API root (results URLs carry it, as IonQ's do)


def backend_name(cloud: str) -> str:
    """The IonQ name of a fake cloud's device: ``qpu.<cloud>`` (``get_backend`` argument).

    >>> backend_name("manila")
    'qpu.manila'
    """
    return f"qpu.{cloud}"


def client_environment(base_url: str, api_key: str) -> dict[str, str]:
    """Environment variables that point qiskit-ionq at the cloud at ``base_url``.

    Every name the client reads is set, so none of a real IonQ account in the caller's
    environment (``QISKIT_IONQ_API_TOKEN`` wins over ``IONQ_API_KEY``) survives.

    >>> client_environment("http://127.0.0.1:8801", "key-manila")["IONQ_API_URL"]
    'http://127.0.0.1:8801/ionq/v0.4'
    """
    url = f"{base_url.rstrip('/')}{PREFIX}{API_PATH}"
    keys = ("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN")
    return {**dict.fromkeys(keys, api_key), "QISKIT_IONQ_API_URL": url, "IONQ_API_URL": url}
