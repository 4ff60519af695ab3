"""Tests for :mod:`lif.search` (Whoosh backend) on temporary directories."""

from __future__ import annotations

import datetime
import multiprocessing
import os
import random
import threading
from pathlib import Path
from typing import Any

import pytest

from lif.search import FACET_FIELDS, SearchIndex, SearchQueryError, SearchUnavailable

PUBLIC = ["public"]
CIEC = ["role:ciec"]
VIEWER = ["role:viewer", "public"]
EVERYONE = ["public", "role:ciec", "role:admin"]


def make_doc(doc_id: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": doc_id,
        "type": "review",
        "title": f"Document {doc_id}",
        "summary": "",
        "findings": "",
        "body": "",
        "attachments": "",
        "themes": [],
        "agencies": [],
        "state": "published",
        "date": datetime.date(2015, 1, 1),
        "url": f"/items/{doc_id}",
        "parent_id": "",
        "principals": ["public"],
    }
    doc.update(fields)
    return doc


CORPUS = [
    make_doc(
        "rev-1",
        title="Review of arrests in the city watch-house",
        summary="Officers caused bruising during arrests.",
        findings="Excessive force was used on two occasions. Bruising was recorded.",
        body="Overview of <b>custody</b> procedures & activities.",
        themes=["Policing", "Use of force"],
        agencies=["Police"],
        date=datetime.date(2015, 3, 1),
    ),
    make_doc(
        "rev-2",
        type="review",
        title="Review of complaint handling",
        summary="Complaints were handled slowly.",
        findings="The force should answer complaints within 30 days. Excessive delays.",
        themes=["Complaints"],
        agencies=["Police"],
        date=datetime.date(2016, 7, 1),
    ),
    make_doc(
        "aud-1",
        type="audit",
        title="Audit of youth detention centres",
        summary="Conditions in youth detention.",
        findings="Cells were too hot. Excessive force in restraint of detainees.",
        themes=["Youth justice", "Use of force"],
        agencies=["Corrections"],
        state="draft",
        date=datetime.date(2017, 5, 1),
        principals=["role:ciec"],
    ),
    make_doc(
        "plan-1",
        type="action_plan",
        title="Action plan on use of force",
        body="Reduce force incidents; training in restraint and de-escalation.",
        themes=["Use of force"],
        agencies=["Police"],
        date=datetime.date(2014, 2, 1),
        principals=["public", "role:ciec"],
    ),
    make_doc(
        "att-1",
        type="attachment",
        title="photos.pdf",
        attachments="Photographs of the bruise on the detainee's arm.",
        parent_id="rev-1",
        date=None,
    ),
]


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    ix = SearchIndex(tmp_path / "index")
    assert ix.open() == "ok"
    ix.update(CORPUS)
    return ix


def ids(results: Any) -> set[str]:
    return {hit.id for hit in results.hits}


def test_status_missing_then_open_creates(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "instance" / "index")
    assert ix.status() == "missing"
    with pytest.raises(SearchUnavailable) as info:
        ix.search("anything", PUBLIC)
    assert info.value.status == "missing"
    assert ix.open() == "ok"
    assert ix.search("anything", PUBLIC).total == 0


def test_stemming(index: SearchIndex) -> None:
    assert {"rev-1", "att-1"} <= ids(index.search("bruise", PUBLIC))
    assert "rev-1" in ids(index.search("arrested", PUBLIC))


def test_phrase_query(index: SearchIndex) -> None:
    results = index.search('"excessive force"', EVERYONE)
    assert ids(results) == {"rev-1", "aud-1"}  # rev-2 has both words, not the phrase


def test_field_queries(index: SearchIndex) -> None:
    assert ids(index.search("title:complaint", PUBLIC)) == {"rev-2"}
    assert ids(index.search("type:action_plan", PUBLIC)) == {"plan-1"}
    assert ids(index.search("theme:policing", PUBLIC)) == {"rev-1"}
    assert ids(index.search('themes:"use of force"', PUBLIC)) == {"rev-1", "plan-1"}
    assert ids(index.search("agency:corrections", EVERYONE)) == {"aud-1"}
    assert ids(index.search("state:draft force", EVERYONE)) == {"aud-1"}
    assert ids(index.search("force NOT agency:police", EVERYONE)) == {"aud-1"}


def test_date_ranges(index: SearchIndex) -> None:
    assert ids(index.search("date:[2014 to 2015]", EVERYONE)) == {"plan-1", "rev-1"}
    assert ids(index.search("year:[2015 TO 2016]", EVERYONE)) == {"rev-1", "rev-2"}
    assert ids(index.search("date:2017", EVERYONE)) == {"aud-1"}
    with pytest.raises(SearchQueryError):
        index.search("date:[someday to never]", EVERYONE)


def test_permission_filter_applies_to_totals_and_facets(index: SearchIndex) -> None:
    viewer = index.search("force", VIEWER)
    assert "aud-1" not in ids(viewer)
    assert viewer.total == 3  # rev-1, rev-2, plan-1
    assert ("audit", 1) not in viewer.facets["type"]
    assert "Corrections" not in dict(viewer.facets["agency"])
    assert "2017" not in dict(viewer.facets["year"])

    ciec = index.search("force", CIEC)
    assert ids(ciec) == {"aud-1", "plan-1"}
    assert ciec.total == 2
    assert dict(ciec.facets["type"]) == {"audit": 1, "action_plan": 1}

    assert index.search("force", []).total == 0
    assert index.search("", "role:ciec").total == 2  # a bare string is one principal


def test_facet_counts(index: SearchIndex) -> None:
    results = index.search("", EVERYONE)
    assert results.total == 5
    assert results.facets["type"] == [
        ("review", 2),
        ("action_plan", 1),
        ("attachment", 1),
        ("audit", 1),
    ]
    assert dict(results.facets["theme"]) == {
        "Use of force": 3,
        "Policing": 1,
        "Complaints": 1,
        "Youth justice": 1,
    }
    assert results.facets["agency"][0] == ("Police", 3)
    assert dict(results.facets["state"]) == {"published": 4, "draft": 1}
    assert results.facets["year"] == [("2017", 1), ("2016", 1), ("2015", 1), ("2014", 1)]
    assert index.search("force", EVERYONE, facets=False).facets == {}


def test_facet_counts_few_and_many_matches_agree(tmp_path: Path) -> None:
    # Few matches are counted per document, many with per-value bit masks;
    # both must give exact counts, also across segments and after deletes.
    ix = SearchIndex(tmp_path / "index")
    docs = [
        make_doc(
            f"d{i}",
            body=f"common {'rare' if i % 10 == 0 else ''}",
            type=("review", "audit", "action")[i % 3],
            themes=[t for t in ("Policing", "Custody", "Youth") if (i >> ("PCY".index(t[0]))) & 1],
            agencies=["Police"] if i % 2 else [],
            date=datetime.date(2010 + i % 4, 1, 1),
        )
        for i in range(60)
    ]
    ix.rebuild(docs[:40])
    ix.update(docs[40:])
    ix.delete(["d1", "d50"])
    live = [d for d in docs if d["id"] not in ("d1", "d50")]

    def expected(selected: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
        for d in selected:
            values = {
                "type": [d["type"]],
                "theme": d["themes"],
                "agency": d["agencies"],
                "state": [d["state"]],
                "year": [str(d["date"].year)],
            }
            for name, vals in values.items():
                for v in vals:
                    counts[name][v] = counts[name].get(v, 0) + 1
        return counts

    for query, selected in (("common", live), ("rare", [d for d in live if "rare" in d["body"]])):
        results = ix.search(query, PUBLIC, pagelen=100)
        assert results.total == len(selected)
        assert {k: dict(v) for k, v in results.facets.items()} == expected(selected)
        # Snippets come from the offsets stored in either segment.
        assert all(f">{query}</mark>" in hit.snippet for hit in results.hits)


def test_filters(index: SearchIndex) -> None:
    results = index.search("force", EVERYONE, filters={"theme": ["Use of force"]})
    assert ids(results) == {"rev-1", "aud-1", "plan-1"}
    assert results.total == 3
    results = index.search("force", EVERYONE, filters={"theme": "use of force", "type": "audit"})
    assert ids(results) == {"aud-1"}
    assert dict(results.facets["type"]) == {"audit": 1}
    with pytest.raises(SearchQueryError):
        index.search("force", EVERYONE, filters={"principals": "role:admin"})


def test_pagination(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    ix.update(make_doc(f"d{i:02}", body=f"common word number {i}") for i in range(25))
    seen: list[str] = []
    for page in (1, 2, 3):
        results = ix.search("common", PUBLIC, page=page, pagelen=10)
        assert results.total == 25
        assert results.pages == 3
        assert results.page == page
        seen.extend(h.id for h in results.hits)
    assert len(seen) == 25 == len(set(seen))
    assert ix.search("common", PUBLIC, page=4, pagelen=10).hits == []
    assert ix.search("common", PUBLIC, page=-3).page == 1


def test_sort_by_date(index: SearchIndex) -> None:
    results = index.search("force", EVERYONE, sort="date")
    assert [h.id for h in results.hits] == ["aud-1", "rev-2", "rev-1", "plan-1"]
    assert all(h.score is None for h in results.hits)
    assert results.hits[0].date == datetime.date(2017, 5, 1)
    relevance = index.search("force", EVERYONE)
    assert all(h.score and h.score > 0 for h in relevance.hits)
    with pytest.raises(SearchQueryError):
        index.search("force", EVERYONE, sort="title")


def test_hit_fields_and_snippets(index: SearchIndex) -> None:
    results = index.search("bruising", PUBLIC)
    hit = next(h for h in results.hits if h.id == "att-1")
    assert hit.parent_id == "rev-1"
    assert hit.type == "attachment"
    assert hit.url == "/items/att-1"
    assert hit.date is None
    assert "<mark" in hit.snippet and "bruise</mark>" in hit.snippet
    rev = next(h for h in results.hits if h.id == "rev-1")
    assert rev.state == "published"
    assert rev.title == "Review of arrests in the city watch-house"


def test_snippet_escapes_stored_html(index: SearchIndex) -> None:
    (hit,) = index.search("custody", PUBLIC).hits
    assert "&lt;b&gt;" in hit.snippet
    assert "<b>" not in hit.snippet
    assert "&amp;" in hit.snippet
    assert "<mark" in hit.snippet


def test_snippets_mark_the_query_terms_only(index: SearchIndex) -> None:
    (hit,) = index.search("force NOT complaints", PUBLIC, filters={"type": "review"}).hits
    assert hit.id == "rev-1"
    assert ">force</mark>" in hit.snippet
    (hit,) = index.search("excessive NOT bruising", PUBLIC).hits
    assert hit.id == "rev-2"
    assert ">Excessive</mark>" in hit.snippet and "complaints</mark>" not in hit.snippet
    hits = index.search('"excessive force"', EVERYONE).hits
    assert {h.id for h in hits} == {"rev-1", "aud-1"}
    for h in hits:
        assert ">Excessive</mark> <mark" in h.snippet and ">force</mark>" in h.snippet
    (hit,) = index.search("bruis*", PUBLIC, filters={"type": "attachment"}).hits
    assert ">bruise</mark>" in hit.snippet


def test_did_you_mean(index: SearchIndex) -> None:
    results = index.search("brusing", PUBLIC)
    assert results.total == 0
    assert results.suggestion == "bruising"
    assert index.search("excesive forse", PUBLIC).suggestion == "excessive force"
    assert index.search("bruising", PUBLIC).suggestion is None


def test_did_you_mean_does_not_leak_hidden_words(index: SearchIndex) -> None:
    # "detention" only occurs in a document public users may not see.
    assert index.search("detentoin", CIEC).suggestion == "detention"
    assert index.search("detentoin", PUBLIC).suggestion is None


def test_more_like_this(index: SearchIndex) -> None:
    related = [h.id for h in index.more_like_this("rev-1", EVERYONE, limit=5)]
    assert related
    assert "rev-1" not in related
    assert "att-1" not in related  # its own attachment
    assert "aud-1" in related
    assert "aud-1" not in [h.id for h in index.more_like_this("rev-1", PUBLIC)]
    assert index.more_like_this("aud-1", PUBLIC) == []  # may not see the source
    assert index.more_like_this("no-such-id", EVERYONE) == []
    assert len(index.more_like_this("rev-1", EVERYONE, limit=1)) == 1


def test_update_replaces_and_delete_removes(index: SearchIndex) -> None:
    index.update([make_doc("rev-2", title="Review of complaint handling", body="zebra")])
    assert ids(index.search("zebra", PUBLIC)) == {"rev-2"}
    assert index.search("", EVERYONE).total == 5
    assert index.delete(["rev-2", "unknown"]) == 2
    assert index.search("zebra", PUBLIC).total == 0
    assert index.search("", EVERYONE).total == 4


def test_failed_update_commits_nothing(index: SearchIndex) -> None:
    def docs() -> Any:
        yield make_doc("new-1", body="platypus")
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        index.update(docs())
    with pytest.raises(ValueError):
        index.update([make_doc("new-2", body="platypus"), make_doc("", body="platypus")])
    assert index.search("platypus", PUBLIC).total == 0
    index.update([make_doc("new-3", body="platypus")])  # the lock was released
    assert index.search("platypus", PUBLIC).total == 1


def test_rebuild_is_atomic_and_keeps_concurrent_changes(tmp_path: Path, index: SearchIndex) -> None:
    other = SearchIndex(tmp_path / "index")  # another worker
    observed: list[tuple[int, int]] = []

    def new_docs() -> Any:
        for i in range(30):
            if i == 10:
                # Mid-rebuild: both workers still answer from the old index.
                observed.append(
                    (index.search("bruising", PUBLIC).total, other.search("wombat", PUBLIC).total)
                )
                index.update([make_doc("new-5", body="wombat updated during rebuild")])
                index.update([make_doc("late-1", body="wombat added during rebuild")])
                index.delete(["new-7"])
            yield make_doc(f"new-{i}", body=f"wombat {i}")

    progress: list[int] = []
    assert index.rebuild(new_docs(), progress=progress.append) == 30
    assert observed == [(2, 0)]  # both workers still answer from the old index
    assert progress[-1] == 30
    for ix in (index, other):
        assert ix.search("bruising", PUBLIC).total == 0
        results = ix.search("wombat", PUBLIC, pagelen=50)
        assert results.total == 30  # 30 - new-7 + late-1
        assert "late-1" in ids(results) and "new-7" not in ids(results)
        assert ids(ix.search("updated", PUBLIC)) == {"new-5"}
    assert ix.status() == "ok"
    generations = [p for p in tmp_path.iterdir() if ".gen-" in p.name]
    assert len(generations) == 2  # the live one and the one before


def test_rebuild_without_open(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "new" / "index")
    assert ix.rebuild(iter(CORPUS)) == len(CORPUS)
    assert ix.status() == "ok"
    assert (tmp_path / "new" / "index").is_symlink()
    assert ix.search("bruising", PUBLIC).total == 2


def test_failed_rebuild_leaves_old_index(tmp_path: Path, index: SearchIndex) -> None:
    def broken() -> Any:
        yield make_doc("x-1", body="kangaroo")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        index.rebuild(broken())
    assert index.search("bruising", PUBLIC).total == 2
    assert index.search("kangaroo", PUBLIC).total == 0
    assert len([p for p in tmp_path.iterdir() if ".gen-" in p.name]) == 1


def test_concurrent_updates_from_threads(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.open()
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(15):
                ix.update([make_doc(f"t{worker}-{i}", body="threaded")])
                ix.search("threaded", PUBLIC)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ix.search("threaded", PUBLIC, facets=False).total == 60
    assert SearchIndex(tmp_path / "index").search("threaded", PUBLIC).total == 60


def _process_worker(path: str, worker: int, count: int) -> None:
    ix = SearchIndex(path)
    for i in range(count):
        ix.update([make_doc(f"p{worker}-{i}", body="forked")])


def test_concurrent_updates_from_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "index")
    SearchIndex(path).open()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_worker, args=(path, n, 20)) for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    results = SearchIndex(path).search("forked", PUBLIC, pagelen=100)
    assert results.total == 40
    assert len(ids(results)) == 40


def _corrupt(index_path: Path) -> None:
    real = Path(os.path.realpath(index_path))
    segments = [p for p in real.iterdir() if p.suffix == ".seg"]
    assert segments
    for seg in segments:
        size = seg.stat().st_size
        with open(seg, "r+b") as fh:  # same size: open mmaps stay valid
            fh.write(b"\xde\xad\xbe\xef" * (size // 4) + b"\x00" * (size % 4))


def test_corrupt_index(tmp_path: Path, index: SearchIndex) -> None:
    assert index.search("bruising", PUBLIC).total == 2  # searcher is open
    _corrupt(tmp_path / "index")

    assert index.status() == "corrupt"
    fresh = SearchIndex(tmp_path / "index")
    assert fresh.open() == "corrupt"  # does not raise: the app keeps starting
    for ix in (index, fresh):
        with pytest.raises(SearchUnavailable) as info:
            ix.search("bruising", PUBLIC)
        assert info.value.status == "corrupt"
        with pytest.raises(SearchUnavailable):
            ix.more_like_this("rev-1", PUBLIC)
    with pytest.raises(SearchUnavailable):
        index.update([make_doc("new", body="x")])

    assert index.rebuild(CORPUS) == len(CORPUS)
    assert index.status() == "ok"
    assert fresh.status() == "ok"
    for ix in (index, fresh):
        assert ix.search("bruising", PUBLIC).total == 2


HOSTILE = [
    '"unbalanced quote',
    'force "',
    "AND",
    "OR",
    "NOT",
    "-",
    "force AND",
    "OR force",
    "NOT NOT NOT",
    "AND OR NOT -",
    "force -",
    "x" * 10_000,
    "force " * 2_000,
    "*",
    "*:*",
    "?",
    "*orce",
    "f*",
    "**",
    "*a*",
    "title:*",
    "nosuchfield:force",
    "principals:role:admin",
    "id:rev-1",
    "$ne",
    '{"$ne": null}',
    "{'$gt': ''}",
    "[",
    "]",
    "{",
    "[a TO",
    "date:[",
    "date:[2014 to",
    "year:[2014 TO",
    "(" * 500,
    ")" * 500,
    "((force)",
    "force^99999999999999999999",
    "force^",
    "~",
    "force~2",
    ":",
    "title:",
    ":::",
    '\\"',
    "\x00\x01\x02",
    "😀 force",
    "'",
    "<script>alert(1)</script>",
    "date:notadate",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_crash(index: SearchIndex, query: str) -> None:
    try:
        results = index.search(query, PUBLIC)
    except SearchQueryError as exc:
        assert str(exc)
        return
    assert results.total >= 0
    assert all(h.id != "aud-1" for h in results.hits)  # still permission-filtered
    for hit in results.hits:
        assert "<script>" not in hit.snippet


def test_principals_field_is_not_searchable(index: SearchIndex) -> None:
    assert index.search("principals:role:ciec", PUBLIC).total == 0
    assert index.search("*", PUBLIC).total == 0


def test_plain_words_are_parsed_as_the_query_parser_would() -> None:
    from lif.search import _Parser, _tame, get_schema

    parser = _Parser(get_schema())
    words = [
        "bruising", "babies", "the", "a", "Interpreters", "house", "FIRE", "and", "or", "not",
        "x", "running", "Start", "again", "syndrome", "is", "AND", "OR", "NOT", "TO", "to",
        "children's", "co", "Ab", "zz", "neglect", "HOUSE",
    ]
    rng = random.Random(7)
    built = 0
    phrases = 0
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        if rng.random() < 0.3:  # a phrase
            text = f'"{text}"'
        direct = parser._words_only(text)
        if direct is None:  # operators, apostrophes or too many words: the parser's job
            continue
        built += 1
        phrases += text.startswith('"')
        parsed = _tame(parser._parser.parse(text)).normalize()
        assert direct == parsed and repr(direct) == repr(parsed), text
    assert built > 700 and phrases > 300
    assert parser._words_only("bruising AND babies") is None
    assert parser._words_only('"start again" syndrome') is None
    assert parser._words_only('"start again') is None
    assert parser._words_only("type:audit neglect") is None
