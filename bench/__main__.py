"""Run every benchmark in bench/ and print one table; write it to bench/results/latest.md.

`python -m bench` runs the full sizes; `--quick` small sizes (a CI smoke test: it asserts
nothing about time); `--only plans,search` picks areas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import platform
import sys
import traceback
from pathlib import Path

AREAS = {
    "plans": "bench.plans_bench",
    "search": "bench.search_bench",
    "documents": "bench.documents_bench",
}
RESULTS = Path(__file__).parent / "results"


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(rows: list[dict]) -> str:
    header = ["area", "measure", "size", "p50 ms", "p95 ms", "peak MB", "baseline",
              "baseline p95 ms", "ratio", "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join([
            r.get("area", ""), r.get("measure", ""), str(r.get("size", "")),
            fmt(r.get("p50_ms")), fmt(r.get("p95_ms")), fmt(r.get("peak_mb")),
            r.get("baseline", ""), fmt(r.get("baseline_p95_ms"), 2),
            (fmt(r.get("ratio"), 2) + "×") if r.get("ratio") else "—", r.get("note", ""),
        ]) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke test)")
    parser.add_argument("--only", default="", help="comma-separated areas: " + ",".join(AREAS))
    args = parser.parse_args(argv)
    chosen = [a for a in (args.only.split(",") if args.only else AREAS) if a]
    rows, failed = [], []
    for area in chosen:
        if area not in AREAS:
            parser.error(f"unknown area {area!r}")
        print(f"running {area} …", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(AREAS[area])
            rows.extend(module.run(quick=args.quick))
        except Exception:  # noqa: BLE001 - one broken area must not hide the others
            failed.append(area)
            traceback.print_exc()
    text = table(rows)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    (RESULTS / "latest.md").write_text(
        f"# Benchmarks ({'quick' if args.quick else 'full'}), {stamp}, "
        f"{platform.machine()} Python {platform.python_version()}\n\n{text}\n"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
