"""Journal records as declared types, and how a part hands them to whoever journals them.

A record is a JSON object: ``{"t": <scenario seconds>, "type": "<family>.<event>", ...}``.
Each type is declared once, as a :class:`RecordType`: its name, its fields (a
``TypedDict``) and what it means. The part that writes a type owns its declaration (the
fake clouds own ``backend.*`` in :mod:`fake_backends.records`, the harness the rest in
:mod:`harness.journal.records`); readers (scoring) use the same declarations::

    sink(EXECUTION({"backend": "manila", "job": job.id, ...}))   # fields checked by mypy
    if r["type"] == EXECUTION.name:
        execution = EXECUTION.read(r)                            # typed access

A part reports through an :data:`EventSink`; the harness's journal is one (it stamps the
scenario time), a test's list is another. ``python -m harness.journal.doc`` renders
every declared type as the table in ``docs/journal.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

__all__ = ["Event", "EventSink", "RecordType", "declared"]

F = TypeVar("F", bound=Mapping[str, Any])


@dataclass(frozen=True, slots=True)
class Event(Generic[F]):
    """A record before the journal stamps it: its type's name and its fields."""

    type: str
    fields: F


@dataclass(frozen=True, slots=True)
class RecordType(Generic[F]):
    """One journal record type: ``name``, ``fields`` (a TypedDict) and ``doc`` (meaning)."""

    name: str
    fields: type[F]
    doc: str

    def __call__(self, fields: F) -> Event[F]:
        """The event of this type with ``fields`` (checked against the TypedDict)."""
        return Event(self.name, fields)

    def read(self, record: Mapping[str, Any]) -> F:
        """A journal record of this type, with typed access to its fields."""
        return cast(F, record)


#: ``sink(event)``: ``event`` happened now (the sink stamps the time).
EventSink = Callable[[Event[Any]], None]


def declared(namespace: Mapping[str, Any]) -> tuple[RecordType[Any], ...]:
    """Every :class:`RecordType` in a module's namespace, in declaration order."""
    return tuple(v for v in namespace.values() if isinstance(v, RecordType))
