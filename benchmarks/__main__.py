"""``python -m benchmarks --out reports/bench.json``: measure and write the figures.

Every figure is a ratio against a baseline measured in the same run, on the same
machine, because these machines are noisy. The machine is recorded alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.execution import exec_ratio
from benchmarks.load import load_figures


async def _measure(quick: bool) -> dict[str, Any]:
    return {
        "exec": await exec_ratio(jobs=100 if quick else 500),
        "load": await load_figures(seconds=3.0 if quick else 8.0),
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("reports/bench.json"))
    p.add_argument("--quick", action="store_true", help="smaller workloads (smoke test)")
    args = p.parse_args()
    figures = asyncio.run(_measure(args.quick))
    doc = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        **figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
