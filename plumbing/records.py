"""How a part hands facts to whoever journals them.

A fake cloud, the fault proxy's links and the harness's own parts report what happened
as journal records: a type name (``backend.execution``, ``network.cleanup``, ...) and a
JSON object of fields. They call an :data:`EventSink`; the harness's journal is one
(``Journal.sink``), a test's list is another. The sink stamps the scenario time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["EventSink"]

#: ``sink(type, fields)``: one record of ``type`` with ``fields`` happened now.
EventSink = Callable[[str, dict[str, Any]], None]
