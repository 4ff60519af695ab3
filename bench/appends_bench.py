"""Appending to one action: a thousand progress notes, the last costing what the first did.

Each note (10,000 characters, the most a note holds) is added through the service the form
and the API call (``plans.add_progress``: the policy, validation, the record, the audit trail,
the index queue) to one action, a thousand times (two hundred with ``--quick``). Rows per
window of a hundred notes: the time of an append, the bytes it added to the database
(``dbStats`` data size, so every collection: the note, its audit line, anything else), and
the search index's work for it (draining the queue, per note).

The baseline is the database work of storing the note alone: the same document inserted
raw with pymongo into a collection of its own. Before progress notes were records of their
own, every note stored a snapshot of the action with all the notes before it (60 notes of
10 KB grew a database from 12 MB to 46 MB, each note slower than the one before).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Iterator

NOTE_CHARS = 10_000
WINDOW = 100


def _note(number: int) -> str:
    return (f"Update {number}: " + "briefings delivered to front-line teams; " * 300)[:NOTE_CHARS]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * (len(ordered) - 1)))]


def rows(quick: bool = False) -> Iterator[dict]:
    """Append the notes; yield one row per window of a hundred (first, middle, last)."""
    from bench.harness import bench_app
    from lif.actors import SYSTEM
    from lif.models import Action, ActionPlan
    from lif.services import content, plans, searching

    total = 200 if quick else 1_000
    with bench_app() as (app, database):
        with app.app_context():
            plan = content.create(ActionPlan, {
                "title": "Bench plan", "kind": "multi_agency", "source_kind": "other",
                "source_other": "Benchmark"}, SYSTEM)
            action = content.create(Action, {
                "title": "Much noted", "plan": plan, "description": "Deliver the briefings",
                "lead_name": "Lead", "lead_email": "lead@example.org", "agency": "police",
                "due_date": dt.date.today() + dt.timedelta(days=90)}, SYSTEM)
            scratch = database["bench_raw_notes"]

            def data_size() -> int:
                return int(database.command("dbStats")["dataSize"])

            windows: list[dict] = []
            for start in range(0, total, WINDOW):
                times, raw = [], []
                size_before = data_size() - scratch_size(database)
                for number in range(start, start + WINDOW):
                    began = time.perf_counter()
                    plans.add_progress(action, _note(number), SYSTEM)
                    times.append((time.perf_counter() - began) * 1000)
                    doc = {"action": action.pk, "at": dt.datetime.now(dt.UTC).replace(
                        tzinfo=None), "author": "system", "text": _note(number)}
                    began = time.perf_counter()
                    scratch.insert_one(doc)
                    raw.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                searching.drain()
                drained = (time.perf_counter() - began) * 1000 / WINDOW
                grown = data_size() - scratch_size(database) - size_before
                windows.append({"from": start + 1, "to": start + WINDOW, "times": times,
                                "raw": raw, "bytes": grown / WINDOW, "index_ms": drained})
            scratch.drop()
    first = windows[0]
    shown = [first, windows[len(windows) // 2], windows[-1]] if len(windows) > 2 else windows
    for window in shown:
        p95, b95 = _p95(window["times"]), _p95(window["raw"])
        note = [f"{window['bytes']:,.0f} bytes stored per note of {NOTE_CHARS:,} characters",
                f"index {window['index_ms']:.1f} ms per note"]
        if window is not first:
            note.append(f"p95 ÷ notes 1–{WINDOW}: {p95 / _p95(first['times']):.2f}×; "
                        f"bytes ÷ notes 1–{WINDOW}: {window['bytes'] / first['bytes']:.2f}×")
        yield {"area": "appends", "measure": "progress note on one action",
               "size": f"notes {window['from']:,}–{window['to']:,}",
               "p50_ms": statistics.median(window["times"]), "p95_ms": p95,
               "baseline": "the note inserted raw", "baseline_p95_ms": b95,
               "ratio": p95 / b95 if b95 else None, "note": "; ".join(note)}


def scratch_size(database) -> int:
    """Bytes the baseline's raw notes take (left out of what the appends added)."""
    if "bench_raw_notes" not in database.list_collection_names():
        return 0
    return int(database.command("collStats", "bench_raw_notes").get("size", 0))


def run(quick: bool = False) -> list[dict]:
    """All rows at once (see :func:`rows`)."""
    return list(rows(quick))
