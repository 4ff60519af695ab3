"""Run every benchmark in bench/ and print one table; write it to bench/results/latest.md.

`python -m bench` runs the full sizes; `--quick` small sizes (a CI smoke test: it asserts
nothing about time); `--only plans,search` picks areas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import traceback
from pathlib import Path


def _plans(quick: bool) -> list[dict]:
    from bench import plans_bench

    return plans_bench.run(quick=quick)


def _search(quick: bool) -> list[dict]:
    """Whoosh through lif/search.py beside SQLite FTS5 on the same corpus, in the same run."""
    from bench import search_bench

    rows = []
    for size in ([1_000] if quick else [2_000, 20_000]):
        for r in search_bench.run(size):
            if r["kind"].startswith("build"):
                rows.append({"area": "search", "measure": f"index {r['kind']}",
                             "size": f"{size:,} docs", "p50_ms": r["whoosh"] * 1000,
                             "peak_mb": r["peak_rss_mb"], "baseline": "SQLite FTS5 build",
                             "baseline_p95_ms": r["fts5"] * 1000, "ratio": r["ratio"],
                             "note": "build time (one run)"})
            else:
                rows.append({"area": "search", "measure": f"{r['kind']} query, page 1 + "
                             "snippets + facets", "size": f"{size:,} docs",
                             "p50_ms": r["whoosh_p50_ms"], "p95_ms": r["whoosh_p95_ms"],
                             "baseline": "SQLite FTS5", "baseline_p95_ms": r["fts5_p95_ms"],
                             "ratio": r["ratio_p95"],
                             "note": f"same top-10 as plain Whoosh: {r['same_top10']}"})
    return rows


def _documents(quick: bool) -> list[dict]:
    from bench import documents_bench

    entries, actions = (100, 20) if quick else (1_000, 200)
    return [{"area": "documents", "measure": name, "size": "", "p50_ms": m["seconds"] * 1000,
             "peak_mb": max(m["traced_mb"], m.get("rss_growth_mb", m["rss_mb"])),
             "baseline": "",
             "note": "time and peak memory of one run; target < 2 s, < 300 MB"}
            for name, m in documents_bench.run(entries, actions)]


def _load(quick: bool) -> list[dict]:
    """Concurrent clients on gunicorn (2 workers) and one embedded database server."""
    from bench import load

    return load.run(quick=quick)


AREAS = {
    "plans": _plans,
    "search": _search,
    "documents": _documents,
    "load": _load,
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
            rows.extend(AREAS[area](args.quick))
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
