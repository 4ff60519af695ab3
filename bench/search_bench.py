"""Benchmark :mod:`lif.search` (Whoosh) against SQLite FTS5 on a synthetic corpus.

Run from the project root::

    python -m bench.search_bench            # 20,000 documents
    python -m bench.search_bench --quick    # 2,000 documents
    python -m bench.search_bench --sizes 5000 50000

For each size it generates documents of about 300 words drawn from a fixed
pseudo-word vocabulary with Zipf-like frequencies (deterministic, seed 1),
then:

* builds the Whoosh index with :meth:`SearchIndex.rebuild` (``procs=1`` and
  ``procs=2``, each in a fresh process so its peak memory can be reported),
  and the same corpus in an FTS5 table with the ``porter`` tokenizer;
* runs about 200 queries each of one, two and three terms and of two-word
  phrases taken from the documents (the 30 most frequent pseudo-words stand
  in for stop words and are not used in queries), as a ``public`` user:
  Whoosh through :meth:`SearchIndex.search` (page 1 with highlighted
  snippets, five facet counts, totals) and FTS5
  with ``snippet()`` for the top 10 and a ``GROUP BY`` count for one facet;
* reports p50/p95 latencies, their ratios, and whether the tuned search
  returns the same top-10 ids as a plain Whoosh search (a fresh searcher, a
  stock ``MultifieldParser`` and the permission filter as a query).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from lif.search import TEXT_FIELDS, SearchIndex

__all__ = ["corpus", "format_table", "make_doc", "queries", "run"]

SEED = 1
VOCAB_SIZE = 8_000
QUERIES_PER_KIND = 200
STOP_WORDS = 30
PRINCIPALS = ["public"]

TYPES = ["review", "audit", "action_plan", "action", "referral", "attachment"]
THEMES = [
    "Policing",
    "Use of force",
    "Youth justice",
    "Complaints",
    "Custody",
    "Corrections",
    "Integrity",
    "Mental health",
    "Family violence",
    "Child protection",
    "Privacy",
    "Procurement",
]
AGENCIES = ["Police", "Corrections", "Health", "Education", "Transport", "Housing", "Justice"]
STATES = ["published", "draft", "archived"]


# Corpus


def _vocabulary() -> tuple[list[str], list[float]]:
    """Return pseudo-words and cumulative Zipf weights (s = 1.07)."""
    rng = random.Random(SEED)
    onsets = ["", "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "st", "tr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
    codas = ["", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"]
    suffixes = ["", "", "", "ing", "ed", "s", "ion", "ment", "ly", "er"]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCAB_SIZE:
        syllables = rng.choice((1, 2, 2, 3))
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(syllables)
        )
        word += rng.choice(suffixes)
        if len(word) >= 3 and word not in seen:
            seen.add(word)
            words.append(word)
    total = 0.0
    cumulative = []
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank**1.07
        cumulative.append(total)
    return words, cumulative


WORDS, CUM_WEIGHTS = _vocabulary()


def _text(rng: random.Random, count: int) -> str:
    words = rng.choices(WORDS, cum_weights=CUM_WEIGHTS, k=count)
    # Sentences of 12 words, so snippets look like text.
    parts = []
    for start in range(0, count, 12):
        sentence = " ".join(words[start : start + 12])
        parts.append(sentence[:1].upper() + sentence[1:] + ".")
    return " ".join(parts)


def make_doc(i: int) -> dict[str, Any]:
    """Return synthetic document ``i`` (the same every time)."""
    rng = random.Random(SEED * 1_000_003 + i)
    doc_type = rng.choice(TYPES)
    year = rng.randint(2005, 2024)
    principals = ["role:admin"]
    principals.append("public" if rng.random() < 0.7 else "role:ciec")
    return {
        "id": f"doc-{i}",
        "type": doc_type,
        "title": _text(rng, 8).rstrip("."),
        "summary": _text(rng, 30),
        "findings": _text(rng, 60),
        "body": _text(rng, 160),
        "attachments": _text(rng, 40) if doc_type == "attachment" else "",
        "themes": rng.sample(THEMES, rng.randint(1, 3)),
        "agencies": rng.sample(AGENCIES, rng.randint(1, 2)),
        "state": rng.choice(STATES),
        "date": date(year, rng.randint(1, 12), rng.randint(1, 28)),
        "url": f"/items/{i}",
        "parent_id": f"doc-{i - 1}" if doc_type == "attachment" and i else "",
        "principals": principals,
    }


def corpus(size: int) -> Iterator[dict[str, Any]]:
    """Yield ``size`` synthetic documents, one at a time."""
    for i in range(size):
        yield make_doc(i)


def queries(size: int) -> dict[str, list[str]]:
    """Return about 200 queries of each kind, drawn deterministically."""
    rng = random.Random(SEED + 1)
    # The 30 most frequent pseudo-words play the part of English stop words
    # (which the analyzer removes from real text), so queries skip them, and
    # the long tail.
    pool = WORDS[STOP_WORDS:3000]
    stop = set(WORDS[:STOP_WORDS])
    out: dict[str, list[str]] = {}
    for n in (1, 2, 3):
        out[f"{n} term"] = [" ".join(rng.sample(pool, n)) for _ in range(QUERIES_PER_KIND)]
    phrases: list[str] = []
    while len(phrases) < QUERIES_PER_KIND:
        # Two adjacent words of a real document, so every phrase has a match.
        words = make_doc(rng.randrange(size))["body"].replace(".", "").lower().split()
        pairs = [(a, b) for a, b in zip(words, words[1:], strict=False) if not {a, b} & stop]
        if pairs:
            a, b = rng.choice(pairs)
            phrases.append(f'"{a} {b}"')
    out["phrase"] = phrases
    return out


# Building


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _build_whoosh(path: str, size: int, procs: int) -> tuple[float, float]:
    """Build the index in this (fresh) process; return seconds and peak MB."""
    index = SearchIndex(path, procs=procs)
    start = time.perf_counter()
    index.rebuild(corpus(size))
    return time.perf_counter() - start, _peak_rss_mb()


def _in_fresh_process(fn: Callable[..., Any], *args: Any) -> Any:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def _build_fts(path: str, size: int) -> float:
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE VIRTUAL TABLE docs USING fts5(
            title, findings, summary, body, attachments, tokenize = 'porter'
        );
        CREATE TABLE meta (
            rowid INTEGER PRIMARY KEY, id TEXT, type TEXT, year TEXT, public INTEGER
        );
        """
    )
    with db:
        for rowid, doc in enumerate(corpus(size), start=1):
            db.execute(
                "INSERT INTO docs (rowid, title, findings, summary, body, attachments) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, *(doc[f] for f in ("title", "findings", "summary", "body", "attachments"))),
            )
            db.execute(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?)",
                (
                    rowid,
                    doc["id"],
                    doc["type"],
                    str(doc["date"].year),
                    int("public" in doc["principals"]),
                ),
            )
    db.close()
    return time.perf_counter() - start


# Querying

_FTS_TOP = """
    SELECT m.id, snippet(docs, -1, '<mark>', '</mark>', ' … ', 20)
    FROM docs JOIN meta AS m ON m.rowid = docs.rowid
    WHERE docs MATCH ? AND m.public = 1
    ORDER BY bm25(docs, 3.0, 2.0, 1.0, 1.0, 1.0) LIMIT 10
"""
_FTS_FACET = """
    SELECT m.type, count(*)
    FROM docs JOIN meta AS m ON m.rowid = docs.rowid
    WHERE docs MATCH ? AND m.public = 1
    GROUP BY m.type
"""


def _fts_query(q: str) -> str:
    if q.startswith('"'):
        return q
    return " AND ".join(q.split())


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


def _plain_top10(path: str, q: str) -> list[str]:
    """Top-10 ids from an untuned Whoosh search (the reference ranking)."""
    from whoosh import qparser
    from whoosh import query as wq
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(os.path.realpath(path), supports_mmap=False).open_index()
    with ix.searcher() as searcher:
        parsed = qparser.MultifieldParser(list(TEXT_FIELDS), ix.schema).parse(q)
        allow = wq.Or([wq.Term("principals", p) for p in PRINCIPALS])
        return [hit["id"] for hit in searcher.search(parsed, limit=10, filter=allow)]


def run(size: int, *, echo: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Run the benchmark at one corpus size and return table rows.

    The first rows (``kind`` starting with ``build``) hold build times in
    seconds; the others hold query latencies in milliseconds.
    """
    say = echo or (lambda _msg: None)
    rows: list[dict[str, Any]] = []
    workdir = Path(tempfile.mkdtemp(prefix="lif-search-bench-"))
    try:
        start = time.perf_counter()
        for _ in corpus(size):
            pass
        generate = time.perf_counter() - start
        say(f"[{size}] generating the corpus takes {generate:.1f}s (included in builds)")

        fts_path = str(workdir / "fts.sqlite")
        fts_seconds = _build_fts(fts_path, size)
        say(f"[{size}] FTS5 built in {fts_seconds:.1f}s")
        builds = {}
        for procs in (1, 2):
            path = str(workdir / f"whoosh-p{procs}")
            seconds, peak = _in_fresh_process(_build_whoosh, path, size, procs)
            builds[procs] = path
            say(f"[{size}] Whoosh procs={procs} built in {seconds:.1f}s, peak RSS {peak:.0f} MB")
            rows.append(
                {
                    "size": size,
                    "kind": f"build procs={procs}",
                    "whoosh": round(seconds, 2),
                    "fts5": round(fts_seconds, 2),
                    "ratio": round(seconds / fts_seconds, 1),
                    "peak_rss_mb": round(peak),
                }
            )

        path = builds[1]
        index = SearchIndex(path)
        db = sqlite3.connect(fts_path)
        for q in ("warm", "up"):
            index.search(q, PRINCIPALS)
        for kind, qs in queries(size).items():
            whoosh_t: list[float] = []
            lean_t: list[float] = []
            fts_t: list[float] = []
            same = 0
            totals_equal = 0
            for q in qs:
                t0 = time.perf_counter()
                results = index.search(q, PRINCIPALS)
                t1 = time.perf_counter()
                index.search(q, PRINCIPALS, facets=False)
                t2 = time.perf_counter()
                fq = _fts_query(q)
                db.execute(_FTS_TOP, (fq,)).fetchall()
                facet = db.execute(_FTS_FACET, (fq,)).fetchall()
                t3 = time.perf_counter()
                whoosh_t.append(t1 - t0)
                lean_t.append(t2 - t1)
                fts_t.append(t3 - t2)
                same += [h.id for h in results.hits] == _plain_top10(path, q)
                totals_equal += results.total == sum(count for _, count in facet)
            w50, w95 = _percentiles(whoosh_t)
            l50, _ = _percentiles(lean_t)
            f50, f95 = _percentiles(fts_t)
            rows.append(
                {
                    "size": size,
                    "kind": kind,
                    "queries": len(qs),
                    "whoosh_p50_ms": round(w50, 1),
                    "whoosh_p95_ms": round(w95, 1),
                    "no_facets_p50_ms": round(l50, 1),
                    "fts5_p50_ms": round(f50, 2),
                    "fts5_p95_ms": round(f95, 2),
                    "ratio_p50": round(w50 / f50, 1),
                    "ratio_p95": round(w95 / f95, 1),
                    "same_top10": f"{same}/{len(qs)}",
                    "same_total": f"{totals_equal}/{len(qs)}",
                }
            )
            say(f"[{size}] {kind}: done")
        db.close()
        index.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """Render rows with the same keys as an aligned text table."""
    if not rows:
        return ""
    keys = list(rows[0])
    cells = [keys] + [[str(row.get(k, "")) for k in keys] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(keys))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 documents only")
    parser.add_argument("--sizes", type=int, nargs="+", help="corpus sizes to run")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([2_000] if args.quick else [20_000])
    rows: list[dict[str, Any]] = []
    for size in sizes:
        rows.extend(run(size, echo=lambda msg: print(msg, file=sys.stderr, flush=True)))
    builds = [r for r in rows if r["kind"].startswith("build")]
    searches = [r for r in rows if not r["kind"].startswith("build")]
    print("Build (seconds; includes generating the documents)")
    print(format_table(builds))
    print()
    print("Queries, public user, page 1 of 10 (milliseconds)")
    print("  whoosh: snippets + 5 facets + total; no_facets: snippets + total;")
    print("  fts5: snippet() top 10 + GROUP BY type; same_top10: vs. untuned Whoosh;")
    print("  same_total: Whoosh total == FTS5 count")
    print(format_table(searches))
    return 0


if __name__ == "__main__":
    sys.exit(main())
