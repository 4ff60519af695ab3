"""lif.search_postings must rank exactly as Whoosh's own collector does.

Every search is run twice through :meth:`SearchIndex.search`: as it is, and with
``score_matches`` answering ``None`` (so Whoosh's collector runs, and snippets read the
postings themselves). The hits, their scores to the last bit, their snippets, the totals and
the facets must be the same, on an index of one segment and on one of several segments with
deleted documents.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher

import lif.search
from lif import search_postings
from lif.search import SearchIndex
from lif.search_codec import LIF_BLOCK

from .test_search import make_doc

WORDS = [
    "bruising", "baby", "neglect", "interpreter", "school", "police", "health", "fire",
    "house", "mother", "father", "visit", "record", "referral", "strategy", "meeting",
    "injury", "assessment", "plan", "review", "learning", "practice", "child", "family",
]
PRINCIPALS = ["public"]


def _text(rng: random.Random, count: int) -> str:
    # Skewed, so some words are in most documents and others in a few.
    return " ".join(rng.choices(WORDS, weights=range(len(WORDS), 0, -1), k=count))


def _docs(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        make_doc(
            f"d{i}",
            title=_text(rng, rng.randint(2, 6)),
            summary=_text(rng, rng.randint(0, 20)),
            findings=_text(rng, rng.randint(0, 30)),
            # A word of its own in some (a term index keeps such postings "inlined").
            body=(f"rare{i} " if i % 13 == 0 else "") + _text(rng, rng.randint(10, 80)),
            type=rng.choice(["review", "audit", "action"]),
            principals=["public"] if rng.random() < 0.7 else ["role:ciec"],
        )
        for i in range(count)
    ]


def _queries(seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(40):
        out.append(" ".join(rng.sample(WORDS, rng.randint(1, 3))))
        out.append(f'"{" ".join(rng.sample(WORDS, rng.randint(2, 3)))}"')
        a, b, c = rng.sample(WORDS, 3)
        out.append(rng.choice([
            f"{a} OR {b}", f"{a}^2 {b}", f'"{a} {b}" OR {c}', f"({a} OR {b}) AND {c}",
            f'title:{a} "{b} {c}"', f'"{a} {a}"', f"findings:{a}^3 OR body:{b}",
        ]))
    # Phrases that are in the text, repeated words included.
    docs = _docs(50, seed)
    for doc in docs[:30]:
        words = doc["body"].split()
        i = rng.randrange(len(words) - 2)
        out.append(f'"{" ".join(words[i:i + rng.randint(2, 3)])}"')
    return out


def _all_hits(index: SearchIndex, q: str) -> tuple[int, list[tuple[str, float | None, str]], Any]:
    hits = []
    page, pages = 1, 1
    while page <= pages:
        results = index.search(q, PRINCIPALS, page=page, pagelen=100)
        hits += [(hit.id, hit.score, hit.snippet) for hit in results.hits]
        pages = results.pages
        if page == 1:
            total, facets = results.total, results.facets
        page += 1
    return total, hits, facets


def _rare_queries(docs: list[dict[str, Any]]) -> list[str]:
    out = []
    for doc in docs:
        words = doc["body"].split()
        if words[0].startswith("rare"):
            out += [words[0], f"{words[0]} OR {words[2]}", f'"{words[0]} {words[1]}"',
                    f"{words[0]} {words[3]}"]
    return out[:40]


def _compare(index: SearchIndex, monkeypatch: pytest.MonkeyPatch, extra: list[str]) -> None:
    used = []

    def spy(*args: Any) -> Any:
        try:
            found = search_postings.score_matches(*args)
        except Exception:  # lif.search logs it and lets Whoosh answer
            used.append(False)
            raise
        used.append(found is not None)
        return found

    queries = _queries(seed=3) + extra
    monkeypatch.setattr(lif.search, "score_matches", spy)
    fast = [_all_hits(index, q) for q in queries]
    # Whoosh on a searcher of its own: the two share nothing they computed (idf is cached
    # in the searcher).
    monkeypatch.setattr(lif.search, "score_matches", lambda *args: None)
    slow = [_all_hits(SearchIndex(index.path), q) for q in queries]
    for q, mine, whoosh in zip(queries, fast, slow, strict=True):
        assert mine == whoosh, q
    # Every one of these shapes is scored from the postings, and most find something.
    assert all(used)
    assert sum(1 for total, _, _ in fast if total) > len(queries) * 0.8


def test_same_ranking_as_whoosh_on_one_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = SearchIndex(tmp_path / "index")
    docs = _docs(400, seed=1)
    index.rebuild(docs)
    _compare(index, monkeypatch, _rare_queries(docs))


def test_same_ranking_as_whoosh_on_segments_with_deletions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = SearchIndex(tmp_path / "index")
    docs = _docs(400, seed=2)
    index.rebuild(docs[:300])
    index.update(docs[300:350])
    index.update(docs[350:])
    index.update(_docs(20, seed=9))  # replaces d0…d19 with other text
    index.delete([f"d{i}" for i in range(100, 400, 7)])
    _compare(index, monkeypatch, _rare_queries(docs[20:]))


def _block_compression(index: SearchIndex) -> set[int]:
    """The compression levels of the first posting blocks of "baby" in each segment."""
    levels = set()
    for sub, _offset in index._current_searcher().leaf_searchers():
        reader = sub.reader()
        info = reader.term_info("body", b"babi")
        matcher = W3LeafMatcher(reader._terms._postfile, *info.extent(),
                                sub.schema["body"].format)
        levels.add(matcher._compression)
    return levels


def test_blocks_of_older_indexes_rank_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Segments written by Whoosh's own codec, compressed (its default) and not, beside one
    # of LIF's.
    index = SearchIndex(tmp_path / "index")
    docs = _docs(450, seed=4)
    monkeypatch.setattr(lif.search, "_codec", W3Codec)
    index.rebuild(docs[:300])
    monkeypatch.setattr(lif.search, "_codec", lambda: W3Codec(compression=0))
    index.update(docs[300:400])
    monkeypatch.undo()
    index.update(docs[400:])
    assert _block_compression(index) == {3, 0, LIF_BLOCK}
    _compare(index, monkeypatch, _rare_queries(docs))
    # Merged into one segment (as Whoosh merges small ones on a commit): every posting read
    # through the codec's matcher and written again as LIF's blocks. The same documents
    # match, with the same snippets (scores move: merged field lengths are re-summed, and
    # with the order, which term is numbered first in the marks).
    def matched(q: str) -> list[tuple[str, str]]:
        return sorted((hit, re.sub(r" term\d+", "", snippet))
                      for hit, _score, snippet in _all_hits(index, q)[1])

    queries = _queries(seed=3)
    before = [matched(q) for q in queries]
    writer = lif.search._open_index(str(index.path)).writer(codec=lif.search._codec())
    writer.commit(optimize=True)
    index.update([])  # a new searcher
    assert _block_compression(index) == {LIF_BLOCK}
    assert len(index._current_searcher().leaf_searchers()) == 1
    assert [matched(q) for q in queries] == before
    _compare(index, monkeypatch, _rare_queries(docs))


def _everything(index: SearchIndex, queries: list[str]) -> list[Any]:
    out: list[Any] = [_all_hits(index, q) for q in queries]
    out += [[(hit.id, hit.snippet) for hit in index.search(q, PRINCIPALS, sort="date").hits]
            for q in queries[:20]]
    out += [[(hit.id, hit.score) for hit in index.more_like_this(f"d{i}", PRINCIPALS)]
            for i in range(0, 60, 7)]
    return out


def test_lif_blocks_answer_as_whoosh_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same documents written by LIF's codec and by Whoosh's: every query, through the
    # fast path and through Whoosh's own matchers (which read LIF's blocks through
    # lif.search_codec.LeafMatcher), answers the same. Whoosh's side is the reference.
    docs = _docs(400, seed=5)
    mine = SearchIndex(tmp_path / "lif")
    mine.rebuild(docs)
    monkeypatch.setattr(lif.search, "_codec", W3Codec)
    theirs = SearchIndex(tmp_path / "whoosh")
    theirs.rebuild(docs)
    assert _block_compression(mine) == {LIF_BLOCK}
    assert _block_compression(theirs) == {3}
    queries = _queries(seed=6) + _rare_queries(docs) + [
        "bab*", "baby NOT school", "title:baby", '"baby school"~3', "type:audit baby",
        "school OR rare13", '"mother father" NOT fire', "interpret*", "",
    ]
    expected = _everything(theirs, queries)
    assert _everything(mine, queries) == expected
    monkeypatch.setattr(lif.search, "score_matches", lambda *args: None)
    assert _everything(mine, queries) == expected


def test_other_shapes_are_left_to_whoosh(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    index.rebuild(_docs(50, seed=4))
    with index._reading() as searcher:
        allowed = frozenset(range(searcher.doc_count_all()))
        for q in ("baby NOT fire", "bab*", "type:review", '"baby fire"~3', "date:2015"):
            assert search_postings.score_matches(searcher, index._parser.parse(q), allowed) is None
        assert search_postings.score_matches(searcher, index._parser.parse("baby"), allowed)


def test_a_failure_of_the_fast_path_falls_back_to_whoosh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    index = SearchIndex(tmp_path / "index")
    index.rebuild(_docs(100, seed=5))
    expected = _all_hits(index, "baby fire")
    assert expected[0] > 0

    def broken(self: Any, wanted: Any = None) -> None:
        raise ValueError("broken block")

    monkeypatch.setattr(search_postings._Leaf, "read", broken)
    assert _all_hits(index, "baby fire") == expected
    assert "asking Whoosh" in caplog.text


def _postings(writer: Any, format_: Any, postings: list[tuple[int, float, bytes]]) -> list[Any]:
    from io import BytesIO

    from whoosh.codec.whoosh3 import W3TermInfo
    from whoosh.filedb.structfile import BufferFile, StructFile

    out = StructFile(BytesIO())
    out.write(b"head")  # a posting list does not start at 0
    postings_writer = writer.postings_writer(out)
    postings_writer.start_postings(format_, W3TermInfo())
    for docnum, weight, value in postings:
        postings_writer.add_posting(docnum, weight, value, 7)
    offset, length = postings_writer.finish_postings().extent()
    data = out.file.getvalue()
    matcher = writer.postings_reader(BufferFile(data), _Extent(offset, length), format_)
    read = []
    while matcher.is_active():
        read.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return read


class _Extent:
    def __init__(self, offset: int, length: int) -> None:
        self._extent = (offset, length)

    def is_inlined(self) -> bool:
        return False

    def extent(self) -> tuple[int, int]:
        return self._extent


@pytest.mark.parametrize("kind", ["characters", "positions", "frequency", "existence"])
def test_lif_blocks_give_whoosh_the_postings_it_wrote(kind: str) -> None:
    from whoosh import formats
    from whoosh.system import pack_uint

    from lif.search_codec import LifCodec

    rng = random.Random(kind)
    format_ = {"characters": formats.Characters(), "positions": formats.Positions(),
               "frequency": formats.Frequency(), "existence": formats.Existence()}[kind]
    postings = []
    for docnum in sorted(rng.sample(range(5000), 300)):
        at = sorted(rng.sample(range(400), rng.randint(1, 4)))
        if kind == "characters":
            # Occurrences that overlap (a start before the previous end) included.
            value = format_.encode([(p, p * 6 - rng.randint(0, 9) + 9, p * 6 + 14) for p in at])
        elif kind == "positions":
            value = format_.encode(at)
        elif kind == "frequency":
            value = pack_uint(len(at))
        else:
            value = b""
        postings.append((docnum, rng.choice([1.0, 2.0, 0.5 * len(at)]), value))
    mine = _postings(LifCodec(), format_, postings)
    theirs = _postings(W3Codec(), format_, postings)
    assert mine == theirs
    # Whoosh gives None for a format without values.
    assert [(d, v) for d, _w, v in mine] == [(d, v or None) for d, _w, v in postings]


def test_lif_blocks_are_little_endian_whatever_the_machine() -> None:
    import struct

    from whoosh import formats

    from lif.search_codec import encode_block

    data = encode_block([1, 258], [1.0, 2.5], [], formats.Existence())
    assert data[5:] == struct.pack("<II", 1, 258) + struct.pack("<ff", 1.0, 2.5)
