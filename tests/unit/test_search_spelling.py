""""Did you mean" must suggest what Whoosh's own readers suggest.

:meth:`SearchIndex.search` finds the closest words in a word list it keeps per segment and
checks the corrected query with the first permitted match. The reference here is the way it
used to ask Whoosh, on a fresh searcher: each spelling field's ``reader.terms_within`` (an
automaton on one segment; Damerau-Levenshtein over the merged lexicon of several), summed
``reader.doc_frequency``, and ``searcher.search(..., limit=1, filter=...)``. Both must give the
same suggestion for misspelt queries of every kind of edit, on an index of one segment and
on one of several segments with deleted documents, for users who see different documents.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from lif.search import (
    _OPERATORS,
    MAX_QUERY_CHARS,
    SPELL_FIELDS,
    TEXT_FIELDS,
    SearchIndex,
    _Parser,
    get_schema,
)

from .test_search import make_doc

PUBLIC = ["public"]
CIEC = ["role:ciec"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    onsets = ["", "b", "c", "d", "f", "l", "m", "p", "r", "s", "t", "st", "tr"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea"]
    codas = ["", "n", "r", "s", "t", "nd", "st"]
    words: set[str] = set()
    while len(words) < size:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                       for _ in range(rng.choice((1, 2, 2, 3))))
        if len(word) >= 3:
            words.add(word)
    return sorted(words)


def _docs(rng: random.Random, vocabulary: list[str], start: int, count: int) -> list[dict]:
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]

    def text(n: int) -> str:
        return " ".join(rng.choices(vocabulary, weights, k=n))

    return [make_doc(f"d{i}", title=text(rng.randint(2, 6)), findings=text(rng.randint(0, 20)),
                     summary=text(rng.randint(0, 10)), body=text(rng.randint(5, 40)),
                     principals=PUBLIC if rng.random() < 0.6 else CIEC)
            for i in range(start, start + count)]


def _misspell(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    edit = rng.choice(["swap", "swap", "replace", "insert", "delete", "twice"])
    if edit == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if edit == "replace":
        return word[:i] + rng.choice(LETTERS) + word[i + 1:]
    if edit == "insert":
        return word[:i] + rng.choice(LETTERS) + word[i:]
    if edit == "twice":
        return _misspell(rng, _misspell(rng, word))
    return word[:i] + word[i + 1:]


def _queries(rng: random.Random, vocabulary: list[str]) -> list[str]:
    out = []
    for n in range(100):
        words = rng.sample(vocabulary, 1 + n % 3)
        for j in rng.sample(range(len(words)), rng.choice((1, 1, len(words)))):
            words[j] = _misspell(rng, words[j])
        q = " ".join(words)
        out.append(rng.choice([q, q, f'"{q}"', f"title:{q}", f"{q} OR {words[0]}x"]))
    return out


def _reference(searcher: Searcher, text: str, principals: list[str]) -> str | None:
    """The suggestion as Whoosh's reader and searcher give it (how LIF used to ask)."""
    schema = get_schema()
    reader = searcher.reader()
    allow = wq.Or([wq.Term("principals", p) for p in principals])
    analyzer = schema["title"].analyzer
    text = text[:MAX_QUERY_CHARS]
    replacements = []
    for m in re.finditer(r"(?:(\w+):)?([^\W\d_]{3,})", text):
        fieldname, word = m.group(1), m.group(2)
        if fieldname and fieldname not in TEXT_FIELDS:
            continue
        if word in _OPERATORS or text[m.end():m.end() + 1] == ":":
            continue
        stems = [t.text for t in analyzer(word.lower())]
        if not stems or any((f, stems[0]) in reader for f in TEXT_FIELDS):
            continue
        best = None
        for maxdist in (1, 2):
            candidates: dict[str, int] = {}
            for name in SPELL_FIELDS:
                spellname = schema[name].spelling_fieldname(name)
                for cand in reader.terms_within(spellname, word.lower(), maxdist, prefix=1):
                    if cand != word.lower():
                        candidates[cand] = (candidates.get(cand, 0)
                                            + reader.doc_frequency(spellname, cand))
            if candidates:
                best = max(candidates.items(), key=lambda kv: (kv[1], kv[0]))[0]
                break
        if best and best != word.lower():
            replacements.append((m.start(2), m.end(2), best))
    if not replacements:
        return None
    out = text
    for start, end, best in reversed(replacements):
        out = out[:start] + best + out[end:]
    corrected = _Parser(schema).parse(out)
    if searcher.search(corrected, limit=1, filter=allow).is_empty():
        return None
    return out


def _open(path: Path) -> Searcher:
    storage = FileStorage(os.path.realpath(path), supports_mmap=False)
    return storage.open_index(schema=get_schema()).searcher()


def _compare(index: SearchIndex, queries: list[str]) -> int:
    """Assert the same suggestion for everyone; return how many queries got one."""
    suggested = 0
    with _open(index.path) as searcher:
        for principals in (PUBLIC, CIEC, PUBLIC + CIEC):
            for q in queries:
                mine = index.search(q, principals).suggestion
                assert mine == _reference(searcher, q, principals), (q, principals)
                suggested += mine is not None
    return suggested


def test_same_suggestions_as_whoosh_on_one_segment(tmp_path: Path) -> None:
    rng = random.Random(7)
    vocabulary = _vocabulary(rng, 400)
    index = SearchIndex(tmp_path / "index")
    index.rebuild(_docs(rng, vocabulary, 0, 300))
    assert index._current_searcher().reader().is_atomic()
    queries = _queries(rng, vocabulary)
    # Many get a suggestion, so the comparison is not only of two "None"s.
    assert _compare(index, queries) > len(queries) // 2


def test_same_suggestions_as_whoosh_on_segments_with_deletions(tmp_path: Path) -> None:
    rng = random.Random(8)
    vocabulary = _vocabulary(rng, 400)
    index = SearchIndex(tmp_path / "index")
    index.rebuild(_docs(rng, vocabulary, 0, 200))
    index.update(_docs(rng, vocabulary, 200, 60))  # a second segment
    index.update(_docs(rng, vocabulary[:200], 150, 30))  # replaces documents of both
    index.delete([f"d{i}" for i in range(0, 40, 3)])
    reader = index._current_searcher().reader()
    assert not reader.is_atomic() and reader.has_deletions()
    queries = _queries(rng, vocabulary)
    assert _compare(index, queries) > len(queries) // 2
    # After a change the word lists of the segments that stayed are kept, the new one read.
    index.update(_docs(rng, vocabulary, 260, 5))
    assert _compare(index, queries[:60]) > 0


def test_no_suggestion_from_a_short_word_list(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    index.rebuild([make_doc("a", title="zebra", body="yak")])
    for q in ("zebar", "zzzz", "yaks", "yyk", "aaa", "zebrazebra"):
        with _open(index.path) as searcher:
            assert index.search(q, PUBLIC).suggestion == _reference(searcher, q, PUBLIC), q
    assert index.search("zebar", PUBLIC).suggestion == "zebra"
