"""Benchmark :mod:`lif.search` (Whoosh) against SQLite FTS5 doing the same work.

Run from the project root::

    python -m bench.search_bench            # 20,000 documents
    python -m bench.search_bench --quick    # 2,000 documents
    python -m bench.search_bench --sizes 5000 50000

For each size it generates documents of about 300 words drawn from a fixed pseudo-word
vocabulary with Zipf-like frequencies (deterministic, seed 1), once, before anything is
timed, then:

* builds the FTS5 database, the Whoosh index with ``procs=1`` and with ``procs=2``
  (:meth:`SearchIndex.rebuild`), then the FTS5 database again, each in a fresh process
  (spawned, the documents handed over before the clock starts), so the baseline is
  measured before and after what it is compared with; peak RSS is the building
  process's own peak. The FTS5 build holds what the Whoosh index holds: the five text
  fields (``porter`` tokenizer), the facet values (a table of one row per document and
  tables for the multi-valued themes and agencies) and the unstemmed words of title,
  findings and body for "did you mean" (a second FTS5 table, like Whoosh's spelling
  fields);
* runs about 200 queries of each kind, as a ``public`` user: one, two and three terms
  and two-word phrases taken from the documents (every word of the vocabulary can be
  drawn, the most common ones too), and ``typo``: one to three words, one misspelt
  (one edit, never the first letter), so nothing matches and "did you mean" runs.
  Whoosh through :meth:`SearchIndex.search` (page 1 with highlighted snippets, five
  facet counts, the total, the suggestion); FTS5 with ``snippet()`` for the top 10 and
  one statement for the five facets and the total over the matches (a materialised
  CTE), and the same "did you mean" as LIF: each word checked against the index, an
  unknown word's closest word taken from the spelling table's vocabulary (kept in a
  table of words and document frequencies, made from
  ``fts5vocab`` at the end of the build, as spellfix1 keeps one; the words with its first
  letter within Levenshtein distance 1, else 2, by sqlean's ``fuzzy_leven``, the most
  frequent one), and the
  corrected query checked for one permitted match. The two sides alternate which
  goes first, query by query;
* reports p50/p95 latencies and their ratios, and what it checks: whether the top 10
  ids equal a plain Whoosh search's (a fresh searcher, a stock ``MultifieldParser``
  and the permission filter as a query), whether the totals equal FTS5's counts (the
  tokenizers differ: Whoosh's stemmer is not FTS5's porter), and whether the
  suggestions are the same.

The FTS5 side uses SQLite 3.50 from ``sqlean-py`` (Python's own ``sqlite3`` here cannot
load extensions, and the edit distance is an extension's).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import sqlean

from lif.search import TEXT_FIELDS, SearchIndex

__all__ = ["corpus", "format_table", "make_doc", "queries", "rows", "run", "table_rows"]

SEED = 1
VOCAB_SIZE = 8_000
QUERIES_PER_KIND = 200
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


def _misspell(rng: random.Random, word: str, known: Callable[[str], bool]) -> str:
    """One edit of ``word`` past its first letter that the index does not know."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    while True:
        i = rng.randrange(1, len(word))
        edit = rng.choice(("replace", "insert", "delete", "swap"))
        if edit == "replace":
            typo = word[:i] + rng.choice(letters) + word[i + 1 :]
        elif edit == "insert":
            typo = word[:i] + rng.choice(letters) + word[i:]
        elif edit == "delete":
            typo = word[:i] + word[i + 1 :]
        elif i + 1 < len(word):
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            continue
        if len(typo) >= 3 and not known(typo):
            return typo


def queries(size: int, per_kind: int = QUERIES_PER_KIND) -> dict[str, list[str]]:
    """Return ``per_kind`` queries of each kind, drawn deterministically.

    Words come from the 3,000 most frequent of the vocabulary, the most frequent included
    (the analyzer keeps every pseudo-word: none is an English stop word).
    """
    from lif.search import get_schema

    rng = random.Random(SEED + 1)
    pool = WORDS[:3000]
    out: dict[str, list[str]] = {}
    for n in (1, 2, 3):
        out[f"{n} term"] = [" ".join(rng.sample(pool, n)) for _ in range(per_kind)]
    phrases: list[str] = []
    while len(phrases) < per_kind:
        # Two adjacent words of a real document, so every phrase has a match.
        words = make_doc(rng.randrange(size))["body"].replace(".", "").lower().split()
        i = rng.randrange(len(words) - 1)
        phrases.append(f'"{words[i]} {words[i + 1]}"')
    out["phrase"] = phrases
    analyzer = get_schema()["title"].analyzer
    stems = {token.text for word in WORDS for token in analyzer(word)}

    def known(word: str) -> bool:
        return any(token.text in stems for token in analyzer(word))

    typos = []
    for k in range(per_kind):
        words = rng.sample(pool, 1 + k % 3)
        j = rng.randrange(len(words))
        words[j] = _misspell(rng, words[j], known)
        typos.append(" ".join(words))
    out["typo"] = typos
    return out


# Building (each in a fresh process, the documents handed over before the clock starts)


def _build_whoosh(path: str, docs: list[dict[str, Any]], procs: int) -> float:
    index = SearchIndex(path, procs=procs)
    start = time.perf_counter()
    index.rebuild(iter(docs))
    return time.perf_counter() - start


def _connect(path: str) -> Any:
    sqlean.extensions.enable("fuzzy")
    return sqlean.connect(path)


def _build_fts(path: str, docs: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    db = _connect(path)
    db.executescript(
        """
        CREATE VIRTUAL TABLE docs USING fts5(
            title, findings, summary, body, attachments, tokenize = 'porter'
        );
        -- The unstemmed words "did you mean" offers (Whoosh's spelling fields).
        CREATE VIRTUAL TABLE spell USING fts5(title, findings, body, detail = 'none');
        CREATE VIRTUAL TABLE spell_vocab USING fts5vocab(spell, 'col');
        CREATE TABLE meta (
            rowid INTEGER PRIMARY KEY, id TEXT, type TEXT, state TEXT, year TEXT,
            public INTEGER
        );
        CREATE TABLE doc_theme (rowid INTEGER, value TEXT, PRIMARY KEY (rowid, value))
            WITHOUT ROWID;
        CREATE TABLE doc_agency (rowid INTEGER, value TEXT, PRIMARY KEY (rowid, value))
            WITHOUT ROWID;
        """
    )
    with db:
        for rowid, doc in enumerate(docs, start=1):
            db.execute(
                "INSERT INTO docs (rowid, title, findings, summary, body, attachments) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, *(doc[f] for f in ("title", "findings", "summary", "body", "attachments"))),
            )
            db.execute(
                "INSERT INTO spell (rowid, title, findings, body) VALUES (?, ?, ?, ?)",
                (rowid, doc["title"], doc["findings"], doc["body"]),
            )
            db.execute(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, doc["id"], doc["type"], doc["state"], str(doc["date"].year),
                 int("public" in doc["principals"])),
            )
            db.executemany("INSERT INTO doc_theme VALUES (?, ?)",
                           [(rowid, value) for value in doc["themes"]])
            db.executemany("INSERT INTO doc_agency VALUES (?, ?)",
                           [(rowid, value) for value in doc["agencies"]])
        # Each word with its document frequency summed over the fields, in a table of its
        # own (as spellfix1 keeps its vocabulary): fts5vocab counts them from the postings
        # on every read (5 ms a lookup at 20,000 documents); Whoosh stores them with the term.
        db.execute("CREATE TABLE spell_words (word TEXT PRIMARY KEY, df INTEGER) WITHOUT ROWID")
        db.execute("INSERT INTO spell_words SELECT term, sum(doc) FROM spell_vocab GROUP BY term")
    db.close()
    return time.perf_counter() - start


def _child(conn: Any, fn: Callable[..., Any], args: tuple) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        conn.close()


def _in_fresh_process(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run ``fn(*args)`` in a spawned process; return its result and the peak RSS, in MB, of
    that process and the processes it started, together (sampled)."""
    from bench.memory import TreePeak

    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    process = ctx.Process(target=_child, args=(there, fn, args))
    process.start()
    there.close()
    with TreePeak(process.pid) as peak:
        status, value = here.recv()
        process.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__name__} failed: {value}")
    return value, peak.peak_mb


# Querying

_FTS_TOP = """
    SELECT m.id, snippet(docs, -1, '<mark>', '</mark>', ' … ', 20)
    FROM docs JOIN meta AS m ON m.rowid = docs.rowid
    WHERE docs MATCH ? AND m.public = 1
    ORDER BY bm25(docs, 3.0, 2.0, 1.0, 1.0, 1.0) LIMIT 10
"""
# The total and the five facets LIF counts, over the matches found once.
_FTS_FACETS = """
    WITH hits AS MATERIALIZED (
        SELECT m.rowid AS rowid, m.type AS type, m.state AS state, m.year AS year
        FROM docs JOIN meta AS m ON m.rowid = docs.rowid
        WHERE docs MATCH ? AND m.public = 1
    )
    SELECT 'total', '', count(*) FROM hits
    UNION ALL SELECT 'type', type, count(*) FROM hits GROUP BY type
    UNION ALL SELECT 'state', state, count(*) FROM hits GROUP BY state
    UNION ALL SELECT 'year', year, count(*) FROM hits GROUP BY year
    UNION ALL SELECT 'theme', t.value, count(*)
        FROM hits JOIN doc_theme AS t ON t.rowid = hits.rowid GROUP BY t.value
    UNION ALL SELECT 'agency', a.value, count(*)
        FROM hits JOIN doc_agency AS a ON a.rowid = hits.rowid GROUP BY a.value
"""
_FTS_KNOWN = "SELECT 1 FROM docs WHERE docs MATCH ? LIMIT 1"
_FTS_CLOSEST = """
    SELECT word FROM spell_words
    WHERE word >= ? AND word < ? AND word != ? AND fuzzy_leven(word, ?) <= ?
    ORDER BY df DESC, word DESC LIMIT 1
"""
_FTS_ANY = """
    SELECT 1 FROM docs JOIN meta AS m ON m.rowid = docs.rowid
    WHERE docs MATCH ? AND m.public = 1 LIMIT 1
"""
_WORD = re.compile(r"[^\W\d_]{3,}")


def _fts_query(q: str) -> str:
    if q.startswith('"'):
        return q
    return " AND ".join(q.split())


def _fts_search(db: Any, q: str) -> tuple[int, str | None]:
    """What LIF's search does, in FTS5: page 1 with snippets, the facets and the total, and
    "did you mean"; return the total and the suggestion."""
    fq = _fts_query(q)
    db.execute(_FTS_TOP, (fq,)).fetchall()
    counts = db.execute(_FTS_FACETS, (fq,)).fetchall()
    total = next(n for name, _value, n in counts if name == "total")
    replacements = []
    for m in _WORD.finditer(q):
        word = m.group(0).lower()
        if db.execute(_FTS_KNOWN, (f'"{word}"',)).fetchone():
            continue
        for maxdist in (1, 2):
            row = db.execute(_FTS_CLOSEST, (word[0], chr(ord(word[0]) + 1), word, word,
                                            maxdist)).fetchone()
            if row:
                replacements.append((m.start(), m.end(), row[0]))
                break
    if not replacements:
        return total, None
    out = q
    for start, end, best in reversed(replacements):
        out = out[:start] + best + out[end:]
    found = db.execute(_FTS_ANY, (_fts_query(out),)).fetchone()
    return total, out if found else None


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return p50 * 1000, p95 * 1000


def _plain_top10(searcher: Any, schema: Any, q: str) -> list[str]:
    """Top-10 ids from an untuned Whoosh search (the reference ranking)."""
    from whoosh import qparser
    from whoosh import query as wq

    parsed = qparser.MultifieldParser(list(TEXT_FIELDS), schema).parse(q)
    allow = wq.Or([wq.Term("principals", p) for p in PRINCIPALS])
    return [hit["id"] for hit in searcher.search(parsed, limit=10, filter=allow)]


def run(size: int, *, echo: Callable[[str], None] | None = None,
        per_kind: int = QUERIES_PER_KIND) -> Iterator[dict[str, Any]]:
    """Run the benchmark at one corpus size, yielding rows as they are measured.

    Rows whose ``kind`` starts with ``build`` hold build times in seconds; the others
    query latencies in milliseconds.
    """
    from whoosh.filedb.filestore import FileStorage

    say = echo or (lambda _msg: None)
    workdir = Path(tempfile.mkdtemp(prefix="lif-search-bench-"))
    try:
        start = time.perf_counter()
        docs = list(corpus(size))
        generate = time.perf_counter() - start
        say(f"[{size}] generating the documents took {generate:.1f}s (not timed below)")

        fts_path = str(workdir / "fts.sqlite")
        fts_before, fts_peak = _in_fresh_process(_build_fts, fts_path, docs)
        say(f"[{size}] FTS5 built in {fts_before:.1f}s, peak RSS {fts_peak:.0f} MB")
        builds = {}
        for procs in (1, 2):
            path = str(workdir / f"whoosh-p{procs}")
            builds[procs] = _in_fresh_process(_build_whoosh, path, docs, procs) + (path,)
            say(f"[{size}] Whoosh procs={procs} built in {builds[procs][0]:.1f}s, "
                f"peak RSS {builds[procs][1]:.0f} MB")
        again = str(workdir / "fts-again.sqlite")
        fts_after, _ = _in_fresh_process(_build_fts, again, docs)
        os.unlink(again)
        say(f"[{size}] FTS5 built again in {fts_after:.1f}s")
        fts_seconds = (fts_before + fts_after) / 2
        del docs
        for procs, (seconds, peak, _path) in builds.items():
            yield {
                "size": size,
                "kind": f"build procs={procs}",
                "whoosh": round(seconds, 2),
                "fts5": round(fts_seconds, 2),
                "fts5_before": round(fts_before, 2),
                "fts5_after": round(fts_after, 2),
                "ratio": round(seconds / fts_seconds, 1),
                "peak_rss_mb": round(peak),
                "fts5_peak_rss_mb": round(fts_peak),
                "generate": round(generate, 2),
            }

        path = builds[1][2]
        index = SearchIndex(path)
        db = _connect(fts_path)
        plain_ix = FileStorage(os.path.realpath(path), supports_mmap=False).open_index()
        plain = plain_ix.searcher()
        for q in ("warm", "up", "wram"):
            index.search(q, PRINCIPALS)
            _fts_search(db, q)
        for kind, qs in queries(size, per_kind).items():
            whoosh_t: list[float] = []
            fts_t: list[float] = []
            same = same_total = same_suggestion = suggested = 0
            for i, q in enumerate(qs):
                for side in ((0, 1) if i % 2 else (1, 0)):
                    t0 = time.perf_counter()
                    if side:
                        results = index.search(q, PRINCIPALS)
                        whoosh_t.append(time.perf_counter() - t0)
                    else:
                        fts_total, fts_suggestion = _fts_search(db, q)
                        fts_t.append(time.perf_counter() - t0)
                same += [h.id for h in results.hits] == _plain_top10(plain, plain_ix.schema, q)
                same_total += results.total == fts_total
                same_suggestion += results.suggestion == fts_suggestion
                suggested += results.suggestion is not None
            w50, w95 = _percentiles(whoosh_t)
            f50, f95 = _percentiles(fts_t)
            row = {
                "size": size,
                "kind": kind,
                "queries": len(qs),
                "whoosh_p50_ms": round(w50, 1),
                "whoosh_p95_ms": round(w95, 1),
                "fts5_p50_ms": round(f50, 2),
                "fts5_p95_ms": round(f95, 2),
                "ratio_p50": round(w50 / f50, 1),
                "ratio_p95": round(w95 / f95, 1),
                "same_top10": f"{same}/{len(qs)}",
                "same_total": f"{same_total}/{len(qs)}",
            }
            if kind == "typo":
                row["suggested"] = f"{suggested}/{len(qs)}"
                row["same_suggestion"] = f"{same_suggestion}/{len(qs)}"
            say(f"[{size}] {kind}: done")
            yield row
        plain.close()
        db.close()
        index.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def table_rows(size: int, echo: Callable[[str], None] | None = None,
               per_kind: int = QUERIES_PER_KIND) -> Iterator[dict[str, Any]]:
    """:func:`run` at one size, as rows of ``python -m bench``'s table."""
    label = f"{size:,} docs"
    for r in run(size, echo=echo, per_kind=per_kind):
        if r["kind"].startswith("build"):
            procs = r["kind"].split("=")[1]
            yield {"area": "search", "measure": f"index build, {procs} process"
                   + ("es" if procs != "1" else ""), "size": label,
                   "p50_ms": r["whoosh"] * 1000, "peak_mb": r["peak_rss_mb"],
                   "baseline": "SQLite FTS5 build", "baseline_p95_ms": r["fts5"] * 1000,
                   "ratio": r["whoosh"] / r["fts5"],
                   "note": f"one build each; FTS5 before / after: {r['fts5_before']:.1f} / "
                           f"{r['fts5_after']:.1f} s (peak {r['fts5_peak_rss_mb']} MB); "
                           f"generating the documents, not timed: {r['generate']:.1f} s"}
        else:
            checks = (f"same top 10 as plain Whoosh: {r['same_top10']}; "
                      f"same total as FTS5: {r['same_total']}")
            if r["kind"] == "typo":
                checks += (f"; suggestion offered: {r['suggested']}, the same as FTS5's: "
                           f"{r['same_suggestion']}")
            what = ("misspelt query (no match): page 1 + facets + did you mean"
                    if r["kind"] == "typo" else
                    f"{r['kind']} query, page 1 + snippets + facets + total")
            yield {"area": "search", "measure": what, "size": label,
                   "p50_ms": r["whoosh_p50_ms"], "p95_ms": r["whoosh_p95_ms"],
                   "baseline": "SQLite FTS5, same work", "baseline_p95_ms": r["fts5_p95_ms"],
                   "ratio": r["whoosh_p95_ms"] / r["fts5_p95_ms"], "note": checks}


def rows(quick: bool = False) -> Iterator[dict[str, Any]]:
    """The search rows of ``python -m bench``: 1,000 documents quick (50 queries a kind),
    else 2,000 and 20,000."""
    def echo(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    for size in ([1_000] if quick else [2_000, 20_000]):
        yield from table_rows(size, echo, per_kind=50 if quick else QUERIES_PER_KIND)


def format_table(rows: list[dict[str, Any]]) -> str:
    """Render rows with the same keys as an aligned text table."""
    if not rows:
        return ""
    keys = list(dict.fromkeys(k for row in rows for k in row))
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
    print("Build (seconds; the documents are generated before, not timed; FTS5 is built")
    print("before and after the Whoosh builds, fts5 = their mean; peak RSS of the building")
    print("process and its children)")
    print(format_table(builds))
    print()
    print("Queries, public user, page 1 of 10 (milliseconds), the two sides alternating")
    print("  whoosh: LIF's search (snippets, 5 facets, total, did you mean);")
    print("  fts5: snippet() top 10, the 5 facets and the total, did you mean (fuzzy_leven);")
    print("  same_top10: vs. untuned Whoosh; same_total: Whoosh total == FTS5 count;")
    print("  same_suggestion: LIF's did-you-mean == FTS5's")
    print(format_table(searches))
    return 0


if __name__ == "__main__":
    sys.exit(main())
