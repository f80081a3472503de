"""libfaketime for a ``command`` SUT: compressed time for a separate process.

A process started with ``LD_PRELOAD`` of libfaketime and ``FAKETIME="+0 x40"`` reads a
clock that runs 40 times faster than the wall, and its sleeps, ``poll``/``epoll``
timeouts and timers shrink by the same factor: a Python ``asyncio.sleep(10)`` returns
after 0.25 wall seconds. So a SUT's own timers (token refresh margins, poll intervals,
alert windows) run on the scenario clock without a line of code changed.

Where the library comes from, in order:

1. ``$QGAMEDAY_LIBFAKETIME`` (a path to ``libfaketime.so.1``), when set;
2. built on first use from the C source vendored in PyPI's ``libfaketime`` wheel (a
   dependency of qgameday) with the machine's C compiler, cached in the virtualenv under
   ``share/qgameday/``. The ``.so`` prebuilt inside that wheel is not used: measured, it
   does not scale sleeps (``asyncio.sleep(10)`` took 10 wall seconds);
3. Debian's ``faketime`` package (``/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1``).

A small shim of our own (``faketime_shim.c``, see its comment) is preloaded before it: it
scales the lock and condition-variable waits libfaketime 0.9.10 misses, without which a
threaded Python SUT hangs in ``threading.Event().wait(timeout)``.

Everything here is blocking (it may run a compiler): call it off the event loop.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harness.errors import ConfigError

__all__ = [
    "DEBIAN_LIBRARY",
    "LIBRARY_ENV",
    "FaketimeLibrary",
    "faketime_env",
    "find_libfaketime",
]

LIBRARY_ENV = "QGAMEDAY_LIBFAKETIME"
DEBIAN_LIBRARY = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
WHEEL = "libfaketime"
WHEEL_SOURCE = "libfaketime/vendor/libfaketime/src"
# the defines of the vendored Makefile's libfaketime.so.1 target (sleeps, timers, pthread
# and stat faking on), compiled directly: no `make` needed, only a C compiler
CFLAGS = [
    "-std=gnu99", "-O2", "-fPIC", "-Wall", "-Wno-nonnull-compare",
    "-DFAKE_PTHREAD", "-DFAKE_STAT", "-DFAKE_UTIME", "-DFAKE_SLEEP", "-DFAKE_TIMERS",
    "-DFAKE_INTERNAL_CALLS", '-DPREFIX="/usr/local"', '-DLIBDIRNAME="/lib/faketime"',
]  # fmt: skip
BUILD_TIMEOUT_S = 120.0
HOW_TO_GET = (
    "install a C compiler (e.g. `apt-get install gcc`) so qgameday can build libfaketime from "
    "the source in the `libfaketime` Python package (installed with qgameday), or install "
    "Debian's `faketime` package, or point $QGAMEDAY_LIBFAKETIME at a libfaketime.so.1; "
    "or run the scenario at time_scale: 1 (no libfaketime needed)"
)


@dataclass(frozen=True, slots=True)
class FaketimeLibrary:
    """The libraries to preload (shim first) and where the libfaketime came from."""

    path: Path
    shim: Path
    origin: str  # e.g. "built from libfaketime 3.0.1 (PyPI wheel source)"

    @property
    def preload(self) -> str:
        return f"{self.shim}:{self.path}"


def faketime_env(lib: FaketimeLibrary, rate: float, base: dict[str, str]) -> dict[str, str]:
    """The environment variables that run a process at ``rate`` x the wall clock.

    ``base`` is the environment the process would get otherwise (its LD_PRELOAD is kept,
    after ours). The clock starts at the process's own start ("+0"): only rates and
    durations matter to a game day, never the SUT's absolute time.
    """
    preload = ":".join(p for p in (lib.preload, base.get("LD_PRELOAD", "")) if p)
    return {
        "LD_PRELOAD": preload,
        "FAKETIME": f"+0 x{rate:g}",
        # fake CLOCK_MONOTONIC too: asyncio, Go, Java and most timers read it
        "FAKETIME_DONT_FAKE_MONOTONIC": "0",
        "DONT_FAKE_MONOTONIC": "0",  # the name in libfaketime < 0.9.9
    }


def find_libfaketime(
    cache_dir: Path | None = None, *, compiler: str | None = None
) -> FaketimeLibrary:
    """Locate or build libfaketime and the shim; ConfigError saying how to get one if neither."""
    cache = cache_dir or Path(sys.prefix) / "share" / "qgameday"
    cc = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    shim = _build_shim(cache, cc)
    if override := os.environ.get(LIBRARY_ENV):
        path = Path(override)
        if not path.is_file():
            raise ConfigError(f"${LIBRARY_ENV} is {override!r}: no such file")
        return FaketimeLibrary(path, shim, f"${LIBRARY_ENV} ({path})")
    problems: list[str] = []
    if cc is not None:
        try:
            path, origin = _build_from_wheel(cache, cc)
            return FaketimeLibrary(path, shim, origin)
        except _BuildFailed as exc:
            problems.append(str(exc))
    else:
        problems.append("no C compiler found (cc, gcc or $CC)")
    if DEBIAN_LIBRARY.is_file():
        return FaketimeLibrary(DEBIAN_LIBRARY, shim, f"Debian faketime package ({DEBIAN_LIBRARY})")
    problems.append(f"no Debian faketime package ({DEBIAN_LIBRARY} missing)")
    raise ConfigError(
        "a command target at time_scale != 1 runs under libfaketime, and none is available: "
        f"{'; '.join(problems)}. To get one: {HOW_TO_GET}."
    )


class _BuildFailed(Exception):
    pass


def _build_from_wheel(cache: Path, cc: str) -> tuple[Path, str]:
    try:
        dist = importlib.metadata.distribution(WHEEL)
    except importlib.metadata.PackageNotFoundError:
        raise _BuildFailed(
            f"the `{WHEEL}` Python package is not installed (pip install {WHEEL})"
        ) from None
    src = Path(str(dist.locate_file(WHEEL_SOURCE)))
    source = src / "libfaketime.c"
    if not source.is_file():
        raise _BuildFailed(f"no libfaketime.c in the `{WHEEL}` package ({src})")
    digest = _digest(source.read_bytes(), (src / "libfaketime.map").read_bytes(), *CFLAGS)
    target = cache / f"libfaketime-{dist.version}-{digest}" / "libfaketime.so.1"
    if not target.is_file():
        cmd = [cc, *CFLAGS, "-shared", "-Wl,-soname,libfaketime.so.1"]
        cmd += [f"-Wl,--version-script={src / 'libfaketime.map'}", str(source)]
        _compile(cmd + ["-lpthread", "-ldl", "-lm", "-lrt"], target)
    return target, f"built from libfaketime {dist.version} (PyPI wheel source, {target})"


def _build_shim(cache: Path, cc: str | None) -> Path:
    code = resources.files("harness.sut").joinpath("faketime_shim.c").read_bytes()
    target = cache / f"qgameday-shim-{_digest(code)}" / "faketime_shim.so"
    if target.is_file():
        return target
    if cc is None:
        raise ConfigError(
            "a command target at time_scale != 1 needs a C compiler once, to build "
            f"qgameday's libfaketime shim. To get one: {HOW_TO_GET}."
        )
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "faketime_shim.c"
        source.write_bytes(code)
        try:
            _compile([cc, "-O2", "-fPIC", "-shared", str(source), "-ldl"], target)
        except _BuildFailed as exc:
            raise ConfigError(f"{exc}. {HOW_TO_GET}.") from None
    return target


def _compile(cmd: list[str], target: Path) -> None:
    """Run ``cmd -o <tmp>`` and move the result to ``target`` atomically.

    Atomic because parallel runs (pytest-xdist workers) may build at the same moment.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        done = subprocess.run(
            [*cmd, "-o", tmp], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
        )
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise _BuildFailed(f"building {target.name} failed ({cmd[0]}): {tail}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _BuildFailed(f"building {target.name} failed: {exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:12]
