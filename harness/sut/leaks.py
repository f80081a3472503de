"""Secrets the SUT was given, looked for where they do not belong.

A game day hands the SUT credentials: each backend's API keys, the access tokens the
backends issue it (learned from their answers as they go out), the webhook's secret and
the admin token of the reference orchestrator. :class:`SecretWatch` looks for each of
them in:

- **every request the SUT sends a backend** (a :mod:`fake_backends.api.observe`
  observer): a backend's own key may be in the body (the token exchange) and its own
  key or token in ``Authorization``; any other secret anywhere in the request, or any
  secret in its URL (proxies and access logs keep URLs), is a leak;
- **every alert and event it sends the webhook** (the body: the webhook's secret belongs
  in the URL or header, nothing belongs in a payload that ends up in a chat room);
- **its log**: ``sut.log`` of a ``command`` target when it has stopped, and the
  ``reference_orchestrator`` logger's records of the in-process reference target.

Each leak is journalled once per place and secret as ``secret.leak``, naming the secret
(``api_key:manila``, ``token:manila``, ``webhook_secret``, ``admin_token``), never its
value; ``secret.scan`` at the end says how much was checked (``secret_leaks`` gate). A
value shorter than :data:`MIN_CHARS` is not watched: it would match by chance.
"""

from __future__ import annotations

import collections
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fake_backends.api.observe import Observer, SeenRequest
from harness.journal.records import SECRET_LEAK, SECRET_SCAN
from harness.journal.store import Journal

__all__ = ["MIN_CHARS", "SecretWatch"]

MIN_CHARS = 8
MAX_DETAIL = 200
#: the in-process reference orchestrator's logger (its "sut.log")
REFERENCE_LOGGER = "reference_orchestrator"


@dataclass(frozen=True, slots=True)
class _Secret:
    label: str
    value: bytes
    owner: str | None  # the backend it is for (None: the harness's own)


class SecretWatch:
    """The run's secrets and where they were seen (see the module docstring)."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._secrets: dict[bytes, _Secret] = {}
        self._found: collections.Counter[tuple[str, str]] = collections.Counter()
        self.checked: collections.Counter[str] = collections.Counter(
            {"requests": 0, "alerts": 0, "events": 0, "log_lines": 0}
        )

    def add(self, label: str, value: str, owner: str | None = None) -> None:
        """Watch ``value`` (a credential the SUT gets) under ``label``."""
        raw = value.encode()
        if len(raw) >= MIN_CHARS and raw not in self._secrets:
            self._secrets[raw] = _Secret(label, raw, owner)

    @property
    def leaks(self) -> dict[tuple[str, str], int]:
        """(where, secret label) -> how many times it was seen there."""
        return dict(self._found)

    def check(
        self,
        where: str,
        data: bytes,
        *,
        allowed: Callable[[_Secret], bool] | None = None,
        detail: str = "",
    ) -> None:
        """Record every watched secret in ``data`` that ``allowed`` does not accept."""
        for raw, secret in list(self._secrets.items()):
            if raw in data and not (allowed is not None and allowed(secret)):
                self._leak(where, secret.label, detail)

    def _leak(self, where: str, label: str, detail: str) -> None:
        key = (where, label)
        self._found[key] += 1
        if self._found[key] == 1:  # once per place and secret: a log line per poll adds nothing
            for raw, secret in self._secrets.items():  # never the value, even in a detail
                detail = detail.replace(raw.decode(errors="replace"), f"<{secret.label}>")
            self._journal.write(
                SECRET_LEAK({"where": where, "secret": label, "detail": detail[:MAX_DETAIL]})
            )

    # -- what the SUT sends ------------------------------------------------------------

    def backend_observer(self, backend: str) -> Observer:
        """The observer of ``backend``'s requests (:attr:`FakeCloud.observers`)."""

        def own(secret: _Secret) -> bool:
            return secret.owner == backend

        def own_key(secret: _Secret) -> bool:
            return secret.owner == backend and secret.label.startswith("api_key:")

        def observe(seen: SeenRequest) -> None:
            self.checked["requests"] += 1
            path = seen.path_qs.split("?", 1)[0]
            where = f"request to {backend}"
            self.check(f"{where}: URL", seen.path_qs.encode(), detail=f"{seen.method} {path}")
            for name, value in seen.headers.items():
                ok = own if name.lower() == "authorization" else None
                self.check(f"{where}: {name} header", value.encode(), allowed=ok, detail=path)
            self.check(f"{where}: body", seen.body, allowed=own_key, detail=f"{seen.method} {path}")
            self._learn(backend, seen.answer)

        return observe

    def _learn(self, backend: str, answer: bytes) -> None:
        """Watch the tokens a backend hands out (native and IAM answers alike)."""
        if b"_token" not in answer:
            return
        try:
            body = json.loads(answer)
        except ValueError:
            return
        if isinstance(body, dict):
            for name in ("access_token", "refresh_token"):
                if isinstance(token := body.get(name), str):
                    self.add(f"token:{backend}", token, owner=backend)

    def webhook_body(self, path: str, body: bytes) -> None:
        """Check an alert's or event's body (the webhook's secret included: not in there)."""
        kind = "event" if path.endswith("/events") else "alert"
        self.checked[f"{kind}s"] += 1
        self.check(f"{kind} payload", body, detail=path)

    # -- its log -----------------------------------------------------------------------

    def scan_log(self, path: Path) -> None:
        """Check a SUT's log file line by line (a missing file is nothing to check)."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for n, line in enumerate(handle, start=1):
                self.checked["log_lines"] += 1
                self.check(path.name, line, detail=f"line {n}")

    @contextmanager
    def watching_logger(self, name: str = REFERENCE_LOGGER) -> Iterator[None]:
        """Check every record of logger ``name`` (an in-process SUT) while the block runs."""
        watch = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                watch.checked["log_lines"] += 1
                text = record.getMessage()
                if record.exc_info:
                    text += "\n" + logging.Formatter().formatException(record.exc_info)
                watch.check("log", text.encode(errors="replace"), detail=record.name)

        handler = _Handler()
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)

    def finish(self) -> None:
        """Journal what was checked and how many leaks were found (``secret.scan``)."""
        self._journal.write(
            SECRET_SCAN(
                {
                    "secrets": len(self._secrets),
                    "checked": dict(self.checked),
                    "leaks": len(self._found),
                }
            )
        )
