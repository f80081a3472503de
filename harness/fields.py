"""Typed reading of YAML mappings, with errors that name the file, line and YAML path.

:func:`load_yaml` parses YAML keeping the line of every node; :class:`Fields` reads one
mapping with typed getters and reports the first problem as a
:class:`~harness.errors.ScenarioError` such as::

    scenarios/x.yaml:14: faults[0].duration: expected a duration like 90s, 5m or 1h, found 'soon'

Each getter consumes its key; :meth:`Fields.done` then rejects keys nobody read, with a
"did you mean" hint, so typos never pass silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from harness.durations import parse_duration
from harness.errors import ScenarioError

__all__ = [
    "MAX_DEPTH",
    "MAX_DURATION",
    "MAX_NUMBER",
    "MAX_RATE",
    "Fields",
    "did_you_mean",
    "load_yaml",
    "read_yaml",
    "unknown_name",
]

T = TypeVar("T")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$")
_MISSING: Any = object()


MAX_DEPTH = 64  # nesting levels; a scenario needs six or so
MAX_NUMBER = 1e9  # |number| unless a field says otherwise (README "Writing a scenario")
MAX_DURATION = 366 * 86400.0  # a year of scenario time
MAX_RATE = 1000.0  # events per scenario second


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with a nesting limit.

    An alias (``*name``) is a pointer: nine of them nine deep (the "billion laughs")
    expand to a billion nodes, and one pointing at its own anchor to a cycle that
    nothing can convert. A scenario has no use for either, so they are refused, as is
    nesting past :data:`MAX_DEPTH` (composing recurses).
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed: write the value out", mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


MAX_FILE_BYTES = 1 << 20  # a scenario is a few KiB; this bounds what a bad path costs


def read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    """Read a YAML file (UTF-8, at most 1 MiB): :func:`load_yaml` of its text."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"file larger than {MAX_FILE_BYTES >> 20} MiB", file=str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})",
            file=str(path),
        ) from None
    return load_yaml(text, file=str(path))


def load_yaml(text: str, *, file: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML text; return (data, {yaml path: 1-based line}).

    Aliases and nesting past :data:`MAX_DEPTH` are errors (:class:`_Loader`), like any
    other invalid YAML: a :class:`~harness.errors.ScenarioError` with the line.
    """
    try:
        loader = _Loader(text)  # the reader already refuses NUL and other control bytes
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    try:
        node = loader.get_single_node()
        lines: dict[str, int] = {}
        data = _convert(loader, node, "", lines, file) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(f"invalid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
    return data, lines


def _convert(
    loader: yaml.SafeLoader, node: yaml.Node, path: str, lines: dict[str, int], file: str
) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                raise ScenarioError(
                    f"keys must be strings, found {key!r}",
                    file=file,
                    path=path,
                    line=key_node.start_mark.line + 1,
                )
            child = f"{path}.{key}" if path else key
            if key in out:
                raise ScenarioError(
                    "duplicate key", file=file, path=child, line=key_node.start_mark.line + 1
                )
            out[key] = _convert(loader, value_node, child, lines, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, f"{path}[{i}]", lines, file) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) < 60 else text[:57] + '...'}"


class Fields:
    """One YAML mapping being read, at ``path`` in ``file``."""

    def __init__(
        self, data: Any, *, path: str = "", file: str = "", lines: Mapping[str, int] | None = None
    ) -> None:
        self.path = path
        self.file = file
        self._lines = lines or {}
        if not isinstance(data, Mapping):
            raise self.error(f"expected a mapping, found {_describe(data)}")
        self._data: Mapping[str, Any] = data
        self._read: set[str] = set()

    # -- errors ------------------------------------------------------------------

    def where(self, key: str | None = None) -> str:
        if key is None:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def error(self, message: str, key: str | None = None) -> ScenarioError:
        """A ScenarioError located at this mapping, or at ``key`` inside it."""
        path = self.where(key)
        return ScenarioError(message, file=self.file, path=path, line=self._line(path))

    def line(self, key: str | None = None) -> int | None:
        """The line of ``key`` (a dotted path below this mapping), or of its nearest parent."""
        return self._line(self.where(key))

    def _line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest parent in the file (a missing key)."""
        while path and path not in self._lines:
            parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
            path = parent if parent != path else ""  # a missing top-level key: the root
        return self._lines.get(path)

    # -- access ------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self._data and self._data[key] is not None

    def keys(self) -> list[str]:
        return list(self._data)

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value at ``key`` as parsed, marked as read."""
        self._read.add(key)
        if key not in self._data or self._data[key] is None:
            if default is _MISSING:
                raise self.error(f"missing required field{self.misspelled(key)}", key)
            return default
        return self._data[key]

    def misspelled(self, *wanted: str) -> str:
        """A hint when a key nobody has read yet looks like one of ``wanted``.

        Required keys are read before :meth:`done` rejects unknown ones, so a typo such
        as ``thresold:`` would otherwise only say "missing required field".
        """
        unread = [k for k in self._data if k not in self._read and k not in wanted]
        for key in unread:
            close = difflib.get_close_matches(key, list(wanted), n=1)
            if close:
                return f" (found {key!r}: did you mean {close[0]!r}?)"
        return ""

    def _typed(self, key: str, kinds: tuple[type, ...], label: str, default: Any) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            raise self.error(f"expected {label}, found {_describe(value)}", key)
        return value

    def text(self, key: str, default: Any = _MISSING, *, choices: Sequence[str] = ()) -> Any:
        value = self._typed(key, (str,), "a string", default)
        if choices and value not in choices and value is not default:
            hint = did_you_mean(value, choices)
            raise self.error(f"expected one of {', '.join(choices)}, found {value!r}{hint}", key)
        return value

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        return self._typed(key, (bool,), "true or false", default)

    def integer(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        min: int | None = None,
        max: int = int(MAX_NUMBER),
    ) -> Any:
        value = self._typed(key, (int,), "an integer", default)
        if min is not None and value is not None and value < min:
            raise self.error(f"expected an integer >= {min}, found {value}", key)
        if value is not None and value > max:
            raise self.error(f"expected an integer <= {max:,}, found {value}", key)
        return value

    def number(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        min: float | None = None,
        max: float | None = None,
    ) -> Any:
        value = self._typed(key, (int, float), "a number", default)
        if value is None:
            return value
        lo = -MAX_NUMBER if min is None else min
        hi = MAX_NUMBER if max is None else max
        if not lo <= value <= hi:  # NaN fails too
            raise self.error(f"expected a number in [{lo:g}, {hi:g}], found {value}", key)
        return float(value)

    def http_status(self, key: str, default: int, *, least: int, what: str) -> int:
        """An HTTP status from ``least`` to 599 that a fault answers with (a 4xx or 5xx
        error); ``what`` names that range in the error, e.g. ``a 5xx status``."""
        status: int = self.integer(key, default, min=least)
        if status > 599:
            raise self.error(f"expected {what}, found {status}", key)
        return status

    def fraction(self, key: str, default: Any = _MISSING) -> Any:
        """A number in [0, 1]: a rate of jobs or requests, a share, an SLO objective."""
        return self.number(key, default, min=0.0, max=1.0)

    def duration(self, key: str, default: Any = _MISSING, *, positive: bool = False) -> Any:
        """Scenario seconds from ``90``, ``90s``, ``5m``, ``1h30m``, ``250ms``."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        try:
            seconds = parse_duration(value)
        except ValueError:
            sign = "a positive" if _negative(value) else "a"
            raise self.error(
                f"expected {sign} duration like 90s, 5m or 1h, found {_describe(value)}", key
            ) from None
        if seconds > MAX_DURATION:
            raise self.error(f"expected a duration of at most 366d, found {value!r}", key)
        if positive and seconds <= 0:
            raise self.error(f"must be positive (more than 0), found {value!r}", key)
        return seconds

    def rate(self, key: str, default: Any = _MISSING, *, allow_zero: bool = False) -> Any:
        """Events per scenario second from ``0.2``, ``2/s``, ``30/m`` or ``100/h``."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        per = {"s": 1.0, "m": 60.0, "h": 3600.0}
        rate: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            rate = float(value)
        elif isinstance(value, str):
            m = _RATE.match(value)
            rate = float(m.group(1)) / per[m.group(2)] if m else None
        if _negative(value) or (rate == 0 and not allow_zero):
            least = "0 or more" if allow_zero else "positive (more than 0)"
            raise self.error(f"a rate must be {least}, found {_describe(value)}", key)
        if rate is None or not 0 <= rate <= MAX_RATE:
            raise self.error(
                f"expected a rate per scenario second (0.2) or like 2/s, 30/m, 100/h, "
                f"at most {MAX_RATE:g}/s, found {_describe(value)}",
                key,
            )
        return rate

    def texts(self, key: str, default: Any = _MISSING) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"expected a list of strings, found {_describe(value)}", key)
        return tuple(value)

    def child(self, key: str, default: Any = _MISSING) -> Fields:
        """The mapping at ``key`` (an empty one when absent and ``default`` is ``{}``)."""
        value = self.raw(key, default)
        return Fields(value, path=self.where(key), file=self.file, lines=self._lines)

    def children(self, key: str, default: Any = _MISSING) -> Iterator[Fields]:
        """Each mapping of the list at ``key``."""
        value = self.raw(key, default)
        if not isinstance(value, list):
            raise self.error(f"expected a list, found {_describe(value)}", key)
        for i, item in enumerate(value):
            yield Fields(item, path=f"{self.where(key)}[{i}]", file=self.file, lines=self._lines)

    def named(self, what: str, known: Sequence[str]) -> Iterator[tuple[str, Fields]]:
        """Each entry of a mapping keyed by names of ``what`` (SLIs, gates, stop
        conditions), with its mapping; a name not in ``known`` is an error naming the
        nearest (:func:`unknown_name`)."""
        for name in self.keys():
            if name not in known:
                raise self.error(unknown_name(what, name, known), name)
            yield name, self.child(name)

    def done(self) -> None:
        """Reject keys no getter read (typos, fields from another version)."""
        for key in self._data:
            if key not in self._read:
                known = sorted(self._read)
                hint = did_you_mean(key, known)
                raise self.error(f"unknown field{hint}; known fields: {', '.join(known)}", key)


def unknown_name(what: str, name: str, known: Sequence[str]) -> str:
    """The message for a ``name`` that is none of ``known``, naming the nearest one:
    ``unknown SLI 'latncy' (did you mean 'latency'?); known: availability, latency, ...``."""
    return f"unknown {what} {name!r}{did_you_mean(name, known)}; known: {', '.join(known)}"


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """`` (did you mean 'latency'?)`` when ``word`` is close to one of ``candidates``."""
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _negative(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value < 0
    return isinstance(value, str) and value.strip().startswith("-")
