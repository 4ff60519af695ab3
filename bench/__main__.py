"""Run every benchmark in bench/ and print one table; write it to bench/results/latest.md
(bench/results/quick.md for ``--quick``).

`python -m bench` runs the full sizes; `--quick` small sizes (a CI smoke test: it asserts
nothing about time); `--only plans,search` picks areas.

Each area runs in a process of its own (`python -m bench --area NAME`), which hands back
each row as soon as it is measured. An area that fails (an exception, a crash, a signal)
keeps the rows it measured, gets a row saying how it failed, and the other areas still
run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path


def _plans(quick: bool) -> Iterator[dict]:
    """App pages beside the database commands they send, replayed raw, sizes interleaved."""
    from bench import plans_bench

    return plans_bench.rows(quick=quick)


def _search(quick: bool) -> Iterator[dict]:
    """Whoosh through lif/search.py beside SQLite FTS5 doing the same work."""
    from bench import search_bench

    return search_bench.rows(quick=quick)


def _documents(quick: bool) -> Iterator[dict]:
    from bench import documents_bench

    return documents_bench.rows(quick=quick)


def _appends(quick: bool) -> Iterator[dict]:
    """A thousand progress notes on one action: the last costs what the first did."""
    from bench import appends_bench

    return appends_bench.rows(quick=quick)


def _load(quick: bool) -> Iterator[dict]:
    """Concurrent clients on gunicorn (2 workers) and one embedded database server."""
    from bench import load

    return iter(load.run(quick=quick))


AREAS: dict[str, Callable[[bool], Iterator[dict]]] = {
    "plans": _plans,
    "search": _search,
    "documents": _documents,
    "appends": _appends,
    "load": _load,
}
RESULTS = Path(__file__).parent / "results"


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failed(area: str, why: str) -> dict:
    return {"area": area, "measure": "**FAILED**", "note": _one_line(why)}


def run_area(area: str, quick: bool, rows_file: Path) -> int:
    """Measure one area in this process, appending each row to ``rows_file`` as JSON."""
    # SIGTERM (a CI time limit, the parent stopping) ends the run through `finally` blocks,
    # so servers and temporary directories are cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    with open(rows_file, "a", encoding="utf-8") as out:
        try:
            for row in AREAS[area](quick):
                out.write(json.dumps(row, default=str) + "\n")
                out.flush()
        except BaseException as exc:  # noqa: BLE001 - reported in the table, then re-raised
            traceback.print_exc()
            out.write(json.dumps(_failed(area, f"{type(exc).__name__}: {exc}")) + "\n")
            return 1
    return 0


def _run_in_child(area: str, quick: bool) -> list[dict]:
    with tempfile.NamedTemporaryFile(prefix=f"lif-bench-{area}-", suffix=".jsonl",
                                     delete=False) as handle:
        rows_file = Path(handle.name)
    command = [sys.executable, "-m", "bench", "--area", area, "--rows-file", str(rows_file)]
    if quick:
        command.append("--quick")
    # The child's output is progress: it goes to stderr, stdout is kept for the table.
    child = subprocess.Popen(command, stdout=sys.stderr, cwd=Path(__file__).parent.parent)
    try:
        returncode = child.wait()
    except BaseException:
        child.terminate()
        child.wait()
        raise
    try:
        rows = [json.loads(line) for line in rows_file.read_text().splitlines() if line]
    finally:
        rows_file.unlink(missing_ok=True)
    if returncode != 0 and not any(r.get("measure") == "**FAILED**" for r in rows):
        how = (f"killed by signal {-returncode}" if returncode < 0
               else f"exit status {returncode}")
        rows.append(_failed(area, f"the area's process ended: {how}"))
    return rows


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
    parser.add_argument("--area", choices=list(AREAS), help=argparse.SUPPRESS)
    parser.add_argument("--rows-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.area:
        return run_area(args.area, args.quick, args.rows_file)
    chosen = [a for a in (args.only.split(",") if args.only else AREAS) if a]
    for area in chosen:
        if area not in AREAS:
            parser.error(f"unknown area {area!r}")
    # A SIGTERM to the runner stops the running area cleanly (its process gets one too).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    rows = []
    for area in chosen:
        print(f"running {area} …", file=sys.stderr, flush=True)
        rows.extend(_run_in_child(area, args.quick))
    failed = [r["area"] for r in rows if r.get("measure") == "**FAILED**"]
    text = table(rows)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    # A quick run (CI's smoke test) never replaces the full run's figures.
    (RESULTS / ("quick.md" if args.quick else "latest.md")).write_text(
        f"# Benchmarks ({'quick' if args.quick else 'full'}: {', '.join(chosen)}), {stamp}, "
        f"{platform.machine()} Python {platform.python_version()}, {os.cpu_count()} cores\n\n"
        f"{text}\n"
    )
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
