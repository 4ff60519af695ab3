"""Benchmark Word documents in and out: the L&I Index, a PDC pack, importing the index.

Run from the project root::

    python -m bench.documents_bench            # 1,000 entries, a plan of 200 actions
    python -m bench.documents_bench --quick    # 100 entries, 20 actions

It starts the app on a fresh embedded database in a temporary data dir, loads synthetic
index entries (about five findings and two activities each, deterministic, seed 1) and a
plan whose actions carry progress updates and evidence, then measures:

* ``index``: :func:`documents.writers.render` of the Learning and Improvement Index;
* ``pdc-pack``: :func:`documents.writers.pdc_pack.render` for the plan's PDC review;
* ``parse``: :func:`documents.index_import.parse_index` of the exported index;
* ``import``: reading the index and loading every entry into an empty database, as
  ``lif import-docx`` and the upload page do (:func:`documents.index_import.iter_index` into
  :func:`lif.services.learning_index.import_entries`: items, versions, audit trail, search
  queue; entries are stored while the rest of the document is read).

Each operation runs once untraced for its time and memory, and once under
:mod:`tracemalloc` for the peak of Python allocations. The memory reported ("peak MB") is
the whole process's peak resident set size during the run (``VmHWM``, reset before the run
through ``/proc/self/clear_refs``; where Linux does not allow the reset, the process's
lifetime peak, marked ``*``): the app, the libraries and the data it holds included, not
only what the operation allocated. The embedded database server (a process of its own) is
sampled with it, and the sum of the two is shown too. The targets (< 2 s and < 300 MB of
the process's peak) are reported, not asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

TARGET_SECONDS = 2.0
TARGET_MB = 300.0
SEED = 1

WORDS = ("agency referral practitioners assessment child family neglect safeguarding plan "
         "information sharing threshold early help school health police careline review "
         "learning supervision chronology outcome risk consent domestic abuse meeting "
         "father mother baby bruising escalation strategy multi single audit evidence").split()


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def synthetic_entries(count: int) -> list[dict]:
    """Return ``count`` index entries shaped like ``lif.demo.appendix_one.ENTRIES``."""
    from config import taxonomy

    rng = random.Random(SEED)
    review_types = [t["key"] for t in taxonomy.REVIEW_TYPES if "audit" not in t["key"]
                    and t["key"] != "section_11"]
    sections = [key for key, _ in taxonomy.LEARNING_SECTIONS]
    themes = [key for key, _ in taxonomy.THEMES]
    agencies = [a["key"] for a in taxonomy.AGENCIES]
    entries = []
    for number in range(count):
        audit = number % 4 == 0
        day = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 5000))
        entries.append({
            "kind": "audit" if audit else "review",
            "section": "audit" if audit else rng.choice(sections[1:]),
            "review_type": "multi_agency_audit" if audit else rng.choice(review_types),
            "audit_type": rng.choice(["multi_agency", "thematic"]) if audit else "",
            "name": f"Entry {number:05d} {_sentence(rng, 4)[:-1]}",
            "reference": "",
            "date": day.replace(day=1).isoformat(),
            "date_label": f"Report to LSCB {day:%B %Y}",
            "overview": "\n".join(_sentence(rng, 30) for _ in range(3)),
            "findings": [_sentence(rng, rng.randint(25, 60)) for _ in range(rng.randint(3, 7))],
            "activities": [_sentence(rng, 15) for _ in range(rng.randint(1, 3))],
            "themes": rng.sample(themes, 2),
            "agencies": rng.sample(agencies, 3),
            "independent_reviewer": "",
        })
    return entries


def make_plan(actions: int):
    """Create a ratified plan of ``actions`` actions with progress and evidence; return its
    PDC review."""
    from lif import clock
    from lif.actors import SYSTEM
    from lif.models import Action, ActionPlan, Evidence, PDCReview, ProgressUpdate, Review
    from lif.services import content

    rng = random.Random(SEED)
    now = clock.now()
    review = Review.objects.first()
    plan = content.create(ActionPlan, {"title": f"Bench plan of {actions} actions",
                                       "kind": "multi_agency", "source_kind": "review",
                                       "review": review}, SYSTEM,
                          now=now - dt.timedelta(days=365))
    ActionPlan.objects(pk=plan.pk).update_one(set__ratified_on=now.date() - dt.timedelta(180),
                                              set__state="ratified")
    for number in range(actions):
        action = content.create(Action, {
            "title": f"Action {number}", "plan": plan, "description": _sentence(rng, 20),
            "finding_text": _sentence(rng, 30), "lead_name": f"Lead {number}",
            "lead_email": f"lead{number}@example.org", "agency": "police",
            "due_date": now.date() + dt.timedelta(days=rng.randint(-60, 120)),
        }, SYSTEM, now=now)
        for days in (200, 90, 10):
            ProgressUpdate(action=action.pk, at=now - dt.timedelta(days=days), author="lead",
                           text=_sentence(rng, 25)).save()
        Evidence(action=action.pk, uid=f"e{number}", at=now - dt.timedelta(days=5),
                 author="lead", description=_sentence(rng, 25),
                 measure="Dip sample of 20 cases").save()
    return content.create(PDCReview, {"title": "Bench PDC review", "plan": plan,
                                      "scheduled_for": now.date()}, SYSTEM, now=now)


def _reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_peak_mb() -> float:
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def measure(run: Callable[[], object], prepare: Callable[[], None] | None = None) -> dict:
    """Time ``run`` and take its peak memory, in two separate runs."""
    if prepare:
        prepare()
    from bench.memory import TreePeak

    reset = _reset_rss_peak()
    before = _rss_now_mb()
    with TreePeak() as tree:
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
    rss = _rss_peak_mb()
    if prepare:
        prepare()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": seconds, "traced_mb": peak / 1024 / 1024, "rss_mb": rss,
            "rss_growth_mb": max(rss - before, 0.0), "rss_reset": reset,
            "tree_mb": max(tree.peak_mb, rss)}


def format_table(rows: list[tuple[str, dict]]) -> str:
    """Return the measurements as a text table, one row per operation.

    "peak traced" is the most Python allocated at once during the operation; "peak RSS" the
    whole process's resident peak during it (the app, the libraries and earlier work
    included), "RSS growth" how far that peak rose above the resident size at its start.
    The memory target is checked against the process's peak RSS.
    """
    lines = [f"{'operation':<40} {'time (s)':>9} {'peak traced (MB)':>17} "
             f"{'peak RSS (MB)':>14} {'RSS growth (MB)':>16}  target",
             "-" * 112]
    for name, m in rows:
        ok = m["seconds"] < TARGET_SECONDS and m["rss_mb"] < TARGET_MB
        rss = f"{m['rss_mb']:.0f}" + ("" if m["rss_reset"] else "*")
        lines.append(f"{name:<40} {m['seconds']:>9.2f} {m['traced_mb']:>17.1f} {rss:>14} "
                     f"{m['rss_growth_mb']:>16.0f}  {'met' if ok else 'MISSED'}")
    lines.append(f"targets: < {TARGET_SECONDS:.0f} s and < {TARGET_MB:.0f} MB each"
                 + ("" if all(m["rss_reset"] for _, m in rows)
                    else "; * RSS peak is the process's lifetime peak"))
    return "\n".join(lines)


def run(entries: int, actions: int) -> list[tuple[str, dict]]:
    """Set up a fresh app and database, run the four measurements, return the rows."""
    from bench.harness import bench_app

    os.environ.pop("MONGODB_URI", None)
    with bench_app(patient=True) as (app, _database), app.app_context():
        return _measure_all(entries, actions)


def _measure_all(entries: int, actions: int) -> list[tuple[str, dict]]:
    from documents import writers
    from documents.index_import import iter_index, parse_index
    from documents.writers import pdc_pack
    from lif import seed
    from lif.actors import SYSTEM
    from lif.models import Audit, Review
    from lif.services import learning_index

    print(f"Loading {entries} index entries and a plan of {actions} actions...", flush=True)
    seed.seed_reference()
    seed.seed_entries(synthetic_entries(entries))
    review = make_plan(actions)
    rows = []
    result: dict = {}

    def index():
        result["index"] = writers.render("index", None, SYSTEM)[1]

    rows.append((f"generate L&I Index ({entries} entries)", measure(index)))
    rows.append((f"generate PDC pack ({actions} actions)",
                 measure(lambda: pdc_pack.render(review))))
    data = result["index"]
    rows.append((f"parse the index ({len(data) / 1024 / 1024:.1f} MB .docx)",
                 measure(lambda: parse_index(data))))

    def empty():
        # An empty database, as a new partnership imports into: the collections are dropped
        # (a mass delete leaves the embedded database's indexes slow to search for a while).
        for model in (Review, Audit):
            model.drop_collection()
            model.ensure_indexes()

    def load():
        report = learning_index.import_entries(iter_index(data), SYSTEM)
        assert report.created == entries, report.summary()

    rows.append((f"import the index ({entries} entries)", measure(load, prepare=empty)))
    return rows


def rows(quick: bool = False) -> list[dict]:
    """The rows of ``python -m bench``: 100 entries and 20 actions quick, else 1,000 and 200."""
    entries, actions = (100, 20) if quick else (1_000, 200)
    out = []
    for name, m in run(entries, actions):
        ok = m["seconds"] < TARGET_SECONDS and m["rss_mb"] < TARGET_MB
        out.append({
            "area": "documents", "measure": name, "size": "", "p50_ms": m["seconds"] * 1000,
            "peak_mb": m["rss_mb"], "baseline": "",
            "note": (f"one run; peak MB: the process's peak RSS"
                     f"{'' if m['rss_reset'] else ' (its lifetime peak: no reset here)'}, "
                     f"{m['rss_growth_mb']:.0f} MB above its start; with the database server "
                     f"{m['tree_mb']:.0f} MB; Python allocations' peak {m['traced_mb']:.0f} MB;"
                     f" target < {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB: "
                     f"{'met' if ok else 'MISSED'}"),
        })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 entries, 20 actions")
    parser.add_argument("--entries", type=int, default=None)
    parser.add_argument("--actions", type=int, default=None)
    args = parser.parse_args(argv)
    entries = args.entries or (100 if args.quick else 1000)
    actions = args.actions or (20 if args.quick else 200)
    print(format_table(run(entries, actions)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
