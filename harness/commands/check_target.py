"""``gameday check-target URL``: what a service gets wrong against the job API contract.

The contract a SUT meets (README "The job API contract"), checked one by one with real
requests; each failed check says what was expected and what came back:

1. ``GET <ready path>`` (default ``/healthz``) answers below 500;
2. a submit answers 2xx with JSON holding a string job id;
3. the same submit again (same idempotency key) names the same job, not a new one;
4. the job's status answers 2xx JSON with a state the API maps (pending, completed, failed);
5. an unknown job id is a 4xx, not a 5xx nor a 2xx;
6. a malformed submit (not JSON) is a 4xx, not a 5xx;
7. the job ends within ``--timeout``: completed with counts whose values sum to the
   shots, over bitstrings of the circuit's width (a Bell pair: 2 bits). This one needs
   the SUT wired to working backends (``gameday serve``, or a game day's ``gameday env``).

``--scenario FILE`` takes the job API (``api:`` / ``adapter:``) and the ready path from a
scenario's target; without it the reference API is checked. Exit code 0 all passed,
1 a check failed, 3 the service cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.commands.common import add_command, add_scenarios_dir, load_named
from harness.errors import ConfigError

SHOTS = 100
BELL = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n'  # noqa: E501


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "check-target",
        execute,
        help="check a running service against the job API contract",
        description=__doc__,
    )
    p.add_argument("url", help="the service's base URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--scenario", help="take the job API and ready path from this scenario")
    p.add_argument("--timeout", type=float, default=60.0, help="wall seconds for a job to end")
    p.add_argument("--poll", type=float, default=0.5, help="wall seconds between status calls")
    add_scenarios_dir(p)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool | None  # None: skipped (an earlier check failed)
    detail: str


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.sut.api import REFERENCE, MappedApi
    from harness.sut.targets import job_api

    if not args.url.startswith(("http://", "https://")):
        raise ConfigError(f"expected an http(s) URL, found {args.url!r}")
    if args.timeout <= 0 or args.poll <= 0:
        raise ConfigError("--timeout and --poll must be positive")
    ready = "/healthz"
    api: Any = MappedApi(REFERENCE)
    if args.scenario:
        s = load_named(args.scenario, args)
        if s.target.kind != "reference":
            from pathlib import Path

            api = job_api(s.target, Path(s.file).resolve().parent)
            ready = s.target.ready_path
    checks = asyncio.run(run_checks(args.url.rstrip("/"), api, ready, args.timeout, args.poll))
    table = Table(title=f"Job API contract: {args.url}", title_justify="left")
    for col in ("check", "result", "detail"):
        table.add_column(col)
    for c in checks:
        verdict = {True: "[green]pass[/]", False: "[bold red]FAIL[/]", None: "skipped"}
        table.add_row(c.name, verdict[c.passed], c.detail)
    console.print(table)
    if checks and checks[0].passed is False:
        return 3
    failed = [c.name for c in checks if c.passed is False]
    console.print(f"Failed: {', '.join(failed)}" if failed else "The service meets the contract.")
    return 1 if failed else 0


async def run_checks(base: str, api: Any, ready: str, within: float, poll: float) -> list[Check]:
    """Every check of the module docstring, in order (later ones skipped when one fails)."""
    import aiohttp

    from harness.sut.api import JobRequest

    out: list[Check] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

        async def call(method: str, path: str, body: Any = None, raw: bytes | None = None,
                       headers: Any = None) -> tuple[int, Any, str]:  # fmt: skip
            try:
                async with http.request(
                    method, base + path, json=body if raw is None else None, data=raw,
                    headers=dict(headers or {}) or None,
                ) as resp:  # fmt: skip
                    text = await resp.text()
                    try:
                        data = await resp.json(content_type=None)
                    except ValueError:
                        data = None
                    return resp.status, data, text[:200]
            except (aiohttp.ClientError, TimeoutError) as exc:
                return 0, None, f"{type(exc).__name__}: {exc}"

        status, _, text = await call("GET", ready)
        out.append(
            Check(
                f"GET {ready} answers",
                0 < status < 500,
                f"HTTP {status or 'no answer'} {text[:80]}",
            )
        )
        if not out[-1].passed:
            return out
        key = f"check-{uuid.uuid4().hex[:12]}"
        job = JobRequest(BELL, SHOTS, key, "check-target")
        sub = api.submit_call(job)
        status, data, text = await call(sub.method, sub.path, sub.body, headers=sub.headers)
        job_id = api.job_id(data) if 200 <= status < 300 else None
        out.append(_expect(
            f"{sub.method} {sub.path} answers 2xx with a job id",
            job_id is not None,
            f"HTTP {status}: {text}" if job_id is None else f"HTTP {status}, id {job_id!r}",
        ))  # fmt: skip
        if job_id is None:
            return out + _skipped(5)
        status, data, text = await call(sub.method, sub.path, sub.body, headers=sub.headers)
        again = api.job_id(data) if 200 <= status < 300 else None
        out.append(_expect(
            "the same idempotency key names the same job",
            again == job_id,
            f"HTTP {status}: second submit gave {again!r}, first {job_id!r}",
        ))  # fmt: skip
        st = api.status_call(job_id)
        status, data, text = await call(st.method, st.path, headers=st.headers)
        state = api.job_state(data) if 200 <= status < 300 else None
        out.append(_expect(
            f"{st.method} {st.path} answers 2xx with a known state",
            state is not None and state.raw is not None,
            f"HTTP {status}: {text}" if state is None
            else f"state {state.raw!r} -> {state.state}",
        ))  # fmt: skip
        bogus = api.status_call(f"no-such-job-{uuid.uuid4().hex[:8]}")
        status, _, text = await call(bogus.method, bogus.path, headers=bogus.headers)
        out.append(
            _expect("an unknown job id is a 4xx", 400 <= status < 500, f"HTTP {status}: {text}")
        )
        status, _, text = await call(sub.method, sub.path, raw=b"{not json", headers=sub.headers)
        out.append(
            _expect("a malformed submit is a 4xx", 400 <= status < 500, f"HTTP {status}: {text}")
        )
        out.append(await _completes(lambda: call(st.method, st.path, headers=st.headers), api,
                                    job_id, within, poll))  # fmt: skip
    return out


async def _completes(
    status_of: Callable[[], Any], api: Any, job_id: str, within: float, poll: float
) -> Check:
    name = f"the job completes within {within:g}s with valid counts"
    deadline = time.monotonic() + within
    last = "no answer"
    while time.monotonic() < deadline:
        status, data, text = await status_of()
        if 200 <= status < 300:
            state = api.job_state(data)
            last = f"state {state.raw!r}"
            if state.state == "failed":
                return Check(name, False, f"the job failed: {state.error} (wired to backends?)")
            if state.state == "completed":
                return Check(name, *_valid_counts(state.counts))
        else:
            last = f"HTTP {status}: {text}"
        await asyncio.sleep(poll)
    return Check(name, False, f"not finished after {within:g}s ({last}); is it wired to backends?")


def _valid_counts(counts: Any) -> tuple[bool, str]:
    if not isinstance(counts, dict) or not counts:
        return False, f"completed without counts (found {counts!r})"
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        return False, f"counts must be integers, found {counts!r}"[:200]
    if sum(counts.values()) != SHOTS:
        return False, f"counts sum to {sum(counts.values())}, not the {SHOTS} shots asked for"
    widths = {len(str(k).replace(" ", "").removeprefix("0x")) for k in counts}
    if widths != {2}:
        return False, f"expected 2-bit bitstrings for a Bell pair, found keys {sorted(counts)[:4]}"
    return True, f"counts {counts}"


def _expect(name: str, ok: bool, detail: str) -> Check:
    return Check(name, ok, detail)


def _skipped(n: int) -> list[Check]:
    return [Check("(remaining checks)", None, "skipped: no job id to check with")] if n else []
