"""Score every permitted match of a query from its posting lists, as Whoosh would.

Whoosh finds and scores matches by stepping a tree of matchers document by document: each
step of each ``Or``, ``And`` and phrase node is a few Python method calls, which made a
one-word search with 7,000 matches take 60 ms at 20,000 documents. Here the same tree is
mirrored from the query (building Whoosh's own already searches: an intersection or a phrase
finds its first match), each term's postings are read a block at a time, and the joining is
done with Python sets (in C): first which documents match, reading only the blocks of a
common word that may hold a match of the rarer side of an ``AND`` or phrase; then the
positions of the phrase candidates that remain; then the scores of the matches alone. It
is used by :mod:`lif.search` for relevance-ranked searches and answers the same as Whoosh's
own collector:

* the same documents, of those permitted (the permission filter applies before any phrase
  is checked);
* the same scores to the last bit: a term's score is BM25F computed by the same expression
  from the same weight, field length and statistics as :class:`whoosh.scoring.BM25FScorer`,
  and the scores of a node's children are added in the order of the tree Whoosh builds
  (``make_weighted_tree`` over ``estimate_size``; its shape decides how floats round);
* so the same ranking (score descending, then document number).

Only what the query language makes of words and phrases is handled: ``Term`` of a field
scored by BM25F, ``Or``, ``And``, exact ``Phrase`` (slop 1), boosts, and segments with
deleted documents. Anything else (``NOT``, wildcards, field and date queries, ``AndMaybe``…)
returns ``None``, and the caller uses Whoosh's collector. The tests run both ways on random
queries and compare every hit and score.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from io import BytesIO
from itertools import accumulate
from math import log
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermsReader
from whoosh.formats import Characters
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util import make_binary_tree, make_weighted_tree

from .search_codec import LIF_BLOCK, CharacterValues, decode_block

__all__ = ["Scored", "any_match", "score_matches", "split_allowed"]

#: Terms kept per segment searcher (a few hundred bytes each) before they are forgotten.
MAX_TERMS_KEPT = 50_000
_BLOCK_SIZE = struct.Struct("!i")  # StructFile.write_int


class Unsupported(Exception):
    """The matcher tree has a node this module does not evaluate."""


class _Leaf:
    """One term's postings in one segment, read block by block when first needed: all of
    them, or only the blocks that may hold given documents (the rest are skipped unread,
    which is what makes an ``AND`` or a phrase with a common word cheap)."""

    __slots__ = (
        "B", "K1", "avgfl", "complete", "dfl", "extent", "format", "idf", "ids", "lengths",
        "postfile", "size", "term", "value_blocks", "value_starts", "wanted", "weights",
    )

    def __init__(self, segment: _Segment, fieldname: str, btext: bytes, info: Any, idf: float,
                 *, positions: bool = False) -> None:
        if info.is_inlined():
            # Whoosh's default codec never inlines postings (inlinelimit=1: none below 1).
            raise Unsupported("inlined postings")
        field = segment.schema[fieldname]
        if not field.scorable:
            raise Unsupported("unscored field")
        if positions and not field.format.supports("positions"):
            raise Unsupported("phrase without positions")
        # BM25FScorer's statistics: idf and average length are the whole index's.
        top, weighting, sub = segment.top, segment.weighting, segment.sub
        self.idf = idf
        self.avgfl = top.avg_field_length(fieldname) or 1
        self.B = weighting._field_B.get(fieldname, weighting.B)
        self.K1 = weighting.K1
        # The field length exactly as BM25FScorer reads it, from lif.search's searcher's
        # list of them where it has one.
        self.dfl = lambda docnum: sub.doc_field_length(docnum, fieldname, 1)
        self.lengths = sub.field_lengths(fieldname, 1) if hasattr(sub, "field_lengths") else None
        self.size = info.doc_frequency()  # documents with the term (deleted ones included)
        self.format = field.format
        self.term = (fieldname, btext)
        self.postfile = segment.postfile
        self.ids = array("I")  # arrays: a block of LIF's codec is added in one copy
        self.weights = array("f")
        #: The values (positions and characters) of the blocks read, block by block: a
        #: block's sequence, and the index in :attr:`ids` of its first posting.
        self.value_blocks: list[Sequence[Any]] = []
        self.value_starts: list[int] = []
        self.complete = False
        self.wanted: list[int] = []
        self.extent = info.extent()

    def read(self, wanted: list[int] | None = None) -> None:
        """Read the blocks that may hold one of ``wanted`` (sorted), or all; once."""
        if self.complete:
            return
        if self.extent is None:
            raise RuntimeError("postings already read in part")
        offset, length = self.extent
        self.extent = None
        self.complete = wanted is None
        self.wanted = wanted or []
        if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps struct.unpack's tuple
            (length,) = length
        # The whole posting list in one read: Whoosh reads each block's header with many
        # small reads of the segment file.
        data = self.postfile.get(offset, length)
        fixedsize = self.format.fixed_value_size()
        ids, weights = self.ids, self.weights
        below = -1  # every id in the current block is above this (the last block's max)
        for count, top, compression, start, end in _blocks(data):
            if wanted is not None:
                i = bisect_right(wanted, below)
                if i == len(wanted):
                    break
                skip = wanted[i] > top
            else:
                skip = False
            if not skip:
                block_ids, block_weights, block_values = _decode(
                    data, start, end, count, compression, fixedsize)
                # The values (positions and characters) too: phrases check positions, and
                # snippets mark the characters (search.py's _matched_chars).
                self.value_starts.append(len(ids))
                self.value_blocks.append(block_values)
                ids.extend(block_ids)
                weights.extend(block_weights)
            below = top

    def docs(self, within: Collection[int]) -> set[int]:
        """The documents of ``within`` that have the term."""
        if len(within) < self.size:
            wanted = sorted(within)
            self.read(wanted)
        else:
            self.read()
        return set(self.ids).intersection(within)

    def _value(self, i: int) -> tuple[Sequence[Any], int]:
        """The values of the block holding posting ``i``, and its index there."""
        block = bisect_right(self.value_starts, i) - 1
        return self.value_blocks[block], i - self.value_starts[block]

    def positions_of(self, docnum: int) -> list[int]:
        """Where the term is in ``docnum`` (a document :meth:`docs` found)."""
        values, i = self._value(bisect_left(self.ids, docnum))
        if type(values) is CharacterValues:
            return values.positions(i)
        value = values[i]
        if type(self.format) is not Characters:
            return self.format.decode_positions(value)
        # Characters.decode_positions without its Python loop: the value is the number of
        # occurrences (4 bytes), then a pickled list of (position - the previous one,
        # startchar - the previous endchar, length).
        if not value.endswith(b"."):
            value += b"."
        codes = pickle.loads(value[4:])
        if len(codes) == 1:
            return [codes[0][0]]
        return list(accumulate([code[0] for code in codes]))

    def positions_in(self, docnums: list[int]) -> list[list[int]]:
        """:meth:`positions_of` each of ``docnums`` (sorted, all found by :meth:`docs`), in
        one pass: a phrase asks this of every candidate, and most of its time was calls."""
        ids, starts, blocks = self.ids, self.value_starts, self.value_blocks
        last = len(starts) - 1
        block = 0
        current = None  # the block's values, and (for Characters) their arrays
        chars = False
        base = 0
        at: list[int] = []
        counts = numbers = array("i")
        out = []
        for docnum in docnums:
            i = bisect_left(ids, docnum)
            while block < last and starts[block + 1] <= i:
                block += 1
            values = blocks[block]
            if values is not current:
                current, base = values, starts[block]
                chars = type(values) is CharacterValues
                if chars:
                    at, counts, numbers = values.starts, values.counts, values.numbers
            if not chars:
                out.append(self.positions_of(docnum))
                continue
            i -= base
            start = 3 * at[i]
            if counts[i] == 1:
                out.append([numbers[start]])
            else:
                out.append(list(accumulate(numbers[start:3 * at[i + 1]:3])))
        return out

    def covers(self, docnum: int) -> bool:
        """Whether the blocks read are all that may hold ``docnum``."""
        if self.complete:
            return True
        i = bisect_left(self.wanted, docnum)
        return i < len(self.wanted) and self.wanted[i] == docnum

    def characters_of(self, docnum: int) -> list[tuple[int, int, int]]:
        """``(position, startchar, endchar)`` of each occurrence in ``docnum`` (which
        :meth:`covers`), or none."""
        i = self.index(docnum)
        if i is None:
            return []
        values, i = self._value(i)
        if type(values) is CharacterValues:
            return values.characters(i)
        return self.format.decode_characters(values[i])

    def index(self, docnum: int) -> int | None:
        """The index of ``docnum`` in :attr:`ids`, or ``None``."""
        i = bisect_left(self.ids, docnum)
        return i if i < len(self.ids) and self.ids[i] == docnum else None

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        """BM25F scores of this term in each of ``docnums`` that has it."""
        idf, avgfl, B, K1 = self.idf, self.avgfl, self.B, self.K1  # noqa: N806
        dfl = self.dfl
        # From lif.search's searcher's list where it has them (dfl's own values).
        lengths = self.lengths
        ids, weights = self.ids, self.weights
        if len(docnums) * 8 < len(ids):
            pairs: Iterable[tuple[int, float]] = (
                (d, weights[i]) for d in docnums if (i := self.index(d)) is not None
            )
        else:
            pairs = ((d, w) for d, w in zip(ids, weights, strict=True) if d in docnums)
        out: dict[int, float] = {}
        for docnum, tf in pairs:
            fl = lengths[docnum] if lengths is not None else None
            if fl is None:
                fl = dfl(docnum)
            # whoosh.scoring.bm25, operation for operation, so the float is the same.
            out[docnum] = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        return out


def _blocks(data: bytes) -> Iterator[tuple[int, int, int, int, int]]:
    """``(postings, last id, compression, data start, data end)`` of each block of a posting
    list (Whoosh's W3 layout: a magic number, then per block its length, negative for the
    last, a pickled header and the data), as ``W3LeafMatcher._goto`` reads them."""
    if data[:4] != WHOOSH3_HEADER_MAGIC:
        raise RuntimeError(f"not a posting list: {data[:4]!r}")
    stream = BytesIO(data)
    at = 4
    while True:
        (size,) = _BLOCK_SIZE.unpack_from(data, at)
        stream.seek(at + 4)
        count, top, _weight, compression, _shortest, _longest = pickle.load(stream)
        end = at + 4 + abs(size)
        yield count, top, compression, stream.tell(), end
        if size < 0:
            return
        at = end


def _decode(data: bytes, start: int, end: int, count: int, compression: int,
            fixedsize: int | None) -> tuple[Iterable[int], Iterable[float], Sequence[Any]]:
    """The ids, weights and values of the block at ``data[start:end]``: what
    ``W3LeafMatcher``'s ``_read_ids``, ``_read_weights`` and ``_read_values`` give, for a
    block of LIF's codec (arrays) or of Whoosh's (decoded in fewer steps: ``accumulate``
    for its Python ``delta_decode``)."""
    if compression == LIF_BLOCK:
        return decode_block(memoryview(data)[start:end], count, fixedsize)
    block = data[start:end]
    if compression:
        block = zlib.decompress(block)
    block_ids, block_weights, block_values = pickle.loads(block)
    ids = accumulate(block_ids)
    if block_weights is None:
        weights = array("f", [1.0]) * count
    elif isinstance(block_weights, float):
        weights = array("f", [block_weights]) * count
    else:
        weights = block_weights
    if fixedsize is None or fixedsize < 0:
        values = block_values
    elif fixedsize == 0:
        values = (None,) * count
    else:
        values = tuple(block_values[i:i + fixedsize]
                       for i in range(0, len(block_values), fixedsize))
    return ids, weights, values


class _Node:
    """A matcher tree node: :meth:`docs` within a set, then :meth:`scores` of some of those
    (never of documents outside the set :meth:`docs` was given: postings are read for it)."""

    #: About how many documents match (Whoosh's ``estimate_size``): the smaller side of an
    #: intersection is read first, and the other only where it may match.
    size = 0

    def __lt__(self, other: object) -> bool:
        # Whoosh's matchers are never less than one another, so make_weighted_tree's sort
        # keeps equal weights in query order; the same here gives the same tree.
        return False

    def docs(self, within: Collection[int]) -> set[int]:
        raise NotImplementedError

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        raise NotImplementedError


class _Term(_Node):
    def __init__(self, leaf: _Leaf) -> None:
        self.leaf = leaf
        self.size = leaf.size

    def docs(self, within: Collection[int]) -> set[int]:
        return self.leaf.docs(within)

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        return self.leaf.scores(docnums)


class _Nothing(_Node):
    def docs(self, within: Collection[int]) -> set[int]:
        return set()

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        return {}


class _Union(_Node):
    def __init__(self, a: _Node, b: _Node) -> None:
        self.a, self.b = a, b
        self.size = a.size + b.size

    def docs(self, within: Collection[int]) -> set[int]:
        return self.a.docs(within) | self.b.docs(within)

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        # UnionMatcher.score: a's score, b's, or a's + b's where both match.
        out = self.a.scores(docnums)
        for docnum, score in self.b.scores(docnums).items():
            mine = out.get(docnum)
            out[docnum] = score if mine is None else mine + score
        return out


class _Intersection(_Node):
    def __init__(self, a: _Node, b: _Node) -> None:
        self.a, self.b = a, b
        self.size = min(a.size, b.size)

    def docs(self, within: Collection[int]) -> set[int]:
        first, second = (self.a, self.b) if self.a.size <= self.b.size else (self.b, self.a)
        found = first.docs(within)
        return second.docs(found) if found else found

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        # IntersectionMatcher.score: a's + b's (where both match).
        a = self.a.scores(docnums)
        b = self.b.scores(a.keys()) if a else {}
        return {docnum: score + b[docnum] for docnum, score in a.items() if docnum in b}


class _Boost(_Node):
    def __init__(self, child: _Node, boost: float) -> None:
        self.child, self.boost = child, boost
        self.size = child.size

    def docs(self, within: Collection[int]) -> set[int]:
        return self.child.docs(within)

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        boost = self.boost
        return {docnum: score * boost for docnum, score in self.child.scores(docnums).items()}


class _Phrase(_Node):
    """Consecutive words (``SpanNear2`` with slop 1, ordered, mindist 1), scored as the
    ``And`` of its terms (as Whoosh scores a phrase)."""

    def __init__(self, leaves: list[_Leaf], terms: _Node) -> None:
        self.leaves, self.terms = leaves, terms
        self.size = terms.size
        self.found: set[int] = set()

    def docs(self, within: Collection[int]) -> set[int]:
        first, rest = self.leaves[0], self.leaves[1:]
        found = set()
        candidates = self.terms.docs(within)
        if len(rest) == 1:  # two words, the usual phrase: the same test, in fewer steps
            ordered = sorted(candidates)
            for docnum, before, after in zip(ordered, first.positions_in(ordered),
                                             rest[0].positions_in(ordered), strict=True):
                if len(after) == 1:
                    if after[0] - 1 in before:
                        found.add(docnum)
                elif any(p - 1 in before for p in after):
                    found.add(docnum)
            self.found = found
            return found
        for docnum in candidates:
            following = [set(leaf.positions_of(docnum)) for leaf in rest]
            if any(
                all(p + k in positions for k, positions in enumerate(following, 1))
                for p in first.positions_of(docnum)
            ):
                found.add(docnum)
        # Kept for scores(), which is asked about these documents and others.
        self.found = found
        return found

    def scores(self, docnums: Collection[int]) -> dict[int, float]:
        return self.terms.scores(self.found.intersection(docnums))


class _Segment:
    """One segment searcher, for one query: each term is looked up in its term index once
    (Whoosh looks a term up again for each of ``in``, ``estimate_size``, the scorer's
    statistics and the postings)."""

    def __init__(self, top: Any, sub: Any) -> None:
        weighting = top.weighting
        if type(weighting) is not BM25F:
            raise Unsupported(type(weighting).__name__)
        self.reader = sub.reader()
        terms = getattr(self.reader, "_terms", None)
        if type(terms) is not W3TermsReader:
            raise Unsupported(type(terms).__name__)
        self.top, self.sub, self.weighting = top, sub, weighting
        self.schema = sub.schema
        self.postfile = terms._postfile
        # lif.search's searcher keeps them from one query to the next (a segment's terms
        # never change); a plain Whoosh searcher for this query only.
        self._infos: dict[tuple[str, Any], tuple[bytes, Any] | None] = getattr(
            sub, "term_infos", {}
        )
        if len(self._infos) > MAX_TERMS_KEPT:
            self._infos.clear()
        #: Every term's postings read for the query, by (fieldname, term bytes).
        self.leaves: dict[tuple[str, bytes], _Leaf] = {}
        #: The index's segments (this one among them), for the index's document frequencies.
        self.family: list[_Segment] = [self]

    def leaf(self, fieldname: str, text: Any, *, positions: bool = False) -> _Leaf | None:
        """The term's postings in this segment, or ``None`` where it has none."""
        found = self.term(fieldname, text)
        if found is None:
            return None
        btext, info = found
        leaf = _Leaf(self, fieldname, btext, info, self.idf(fieldname, text, btext),
                     positions=positions)
        self.leaves.setdefault((fieldname, btext), leaf)
        return leaf

    def idf(self, fieldname: str, text: Any, btext: bytes) -> float:
        """``top.idf(fieldname, btext)``, from the terms looked up in each segment instead of
        looking them up again (``WeightingModel.idf`` over ``MultiReader.doc_frequency``'s sum,
        kept in the searcher's own cache of them)."""
        cache = self.top._idf_cache
        key = (fieldname, btext)
        idf = cache.get(key)
        if idf is None:
            frequency = 0
            for segment in self.family:
                found = segment.term(fieldname, text)
                if found is not None:
                    frequency += found[1].doc_frequency()
            idf = log(self.top.doc_count_all() / (frequency + 1)) + 1
            cache[key] = idf
        return idf

    def term(self, fieldname: str, text: Any) -> tuple[bytes, Any] | None:
        """The term's bytes and ``TermInfo``, or ``None`` where Whoosh's ``Term`` matches
        nothing (a field not in the schema, text it cannot encode, a term not indexed)."""
        key = (fieldname, text)
        if key not in self._infos:
            found = None
            if fieldname in self.schema:
                try:
                    btext = self.schema[fieldname].to_bytes(text)
                    found = (btext, self.reader.term_info(fieldname, btext))
                except (ValueError, TermNotFound):
                    found = None
            self._infos[key] = found
        return self._infos[key]

    def estimate_size(self, q: Any) -> int:
        """``q.estimate_size(reader)``, from the looked-up terms."""
        kind = type(q)
        if kind is wq.Term:
            found = self.term(q.fieldname, q.text)
            return found[1].doc_frequency() if found else 0
        if kind is wq.Or:  # CompoundQuery.estimate_size
            total = sum(self.estimate_size(s) for s in q.subqueries)
            return min(total, self.reader.doc_count())
        if kind is wq.And:
            return min(self.estimate_size(s) for s in q.subqueries)
        if kind is wq.Phrase:  # Phrase._and_query().estimate_size
            return min(self.estimate_size(wq.Term(q.fieldname, w)) for w in q.words)
        raise Unsupported(kind.__name__)

    def node(self, q: Any) -> _Node:
        """Mirror the matcher tree Whoosh builds for ``q`` on this segment
        (``q.matcher(sub, context)`` with ``needs_current``), without building it: building
        it already searches (an intersection or a phrase finds its first match)."""
        kind = type(q)
        if kind is wq.Term:  # whoosh.query.Term.matcher
            if q.minquality:
                raise Unsupported("minquality")
            leaf = self.leaf(q.fieldname, q.text)
            if leaf is None:
                return _Nothing()
            node: _Node = _Term(leaf)
        elif kind is wq.Or or kind is wq.And:  # CompoundQuery.matcher, DefaultOr, And
            if kind is wq.Or and (q.scale or q.minmatch):
                raise Unsupported("Or with scale or minmatch")
            subs = q.subqueries
            if not subs:
                return _Nothing()
            if len(subs) == 1:
                return self.node(subs[0])
            if kind is wq.Or:
                weighted = [(self.estimate_size(s), self.node(s)) for s in subs]
                node = make_weighted_tree(_Union, weighted)
            else:
                weighted = [(0 - self.estimate_size(s), self.node(s)) for s in subs]
                node = make_weighted_tree(_Intersection, weighted)
        elif kind is wq.Phrase:  # whoosh.query.Phrase.matcher and SpanNear2
            if q.slop != 1:
                raise Unsupported("phrase with slop")
            if q.fieldname not in self.schema:
                return _Nothing()
            leaves = []
            for word in q.words:
                leaf = self.leaf(q.fieldname, word, positions=True)
                if leaf is None:
                    return _Nothing()
                leaves.append(leaf)
            terms = make_binary_tree(_Intersection, [_Term(leaf) for leaf in leaves])
            node = _Phrase(leaves, terms)
        else:
            raise Unsupported(kind.__name__)
        return _Boost(node, q.boost) if q.boost != 1.0 else node


class Scored:
    """What :func:`score_matches` found: the matches, and the postings it read."""

    def __init__(self) -> None:
        #: ``(score, docnum)`` of every permitted match, in no particular order.
        self.matches: list[tuple[float, int]] = []
        self._segments: list[tuple[int, int, _Segment]] = []

    def characters(
        self, offset: int, fieldname: str, btext: bytes, docnums: list[int]
    ) -> dict[int, list[tuple[int, int, int]]] | None:
        """``(position, startchar, endchar)`` of each occurrence of the term in each of
        ``docnums`` (the segment at ``offset``'s own numbers, sorted): from the postings the
        query read where they hold the document, else from the blocks that may hold it, read
        now (Whoosh's matcher would skip to each with many small reads). ``None`` if that
        segment was not searched or the term is one this module does not read."""
        segment = next((seg for start, _end, seg in self._segments if start == offset), None)
        if segment is None:
            return None
        read = segment.leaves.get((fieldname, btext))
        out: dict[int, list[tuple[int, int, int]]] = {}
        rest = []
        for docnum in docnums:
            if read is not None and read.covers(docnum):
                out[docnum] = read.characters_of(docnum)
            else:
                rest.append(docnum)
        if rest:
            try:
                leaf = segment.leaf(fieldname, btext.decode("utf-8"))
            except (Unsupported, UnicodeDecodeError):
                return None
            if leaf is not None:
                leaf.read(rest)
            for docnum in rest:
                out[docnum] = leaf.characters_of(docnum) if leaf is not None else []
        return out


def split_allowed(searcher: Any, allowed: Collection[int]) -> dict[int, Collection[int]] | None:
    """``allowed`` (the top searcher's document numbers) as each segment's own numbers,
    without its deleted documents, by the segment's offset; ``None`` if a segment cannot
    say which are deleted. Worth keeping while ``allowed`` is used again."""
    split: dict[int, Collection[int]] = {}
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        deleted = getattr(sub.reader(), "deleted_docs_set", None)
        if deleted is None:
            return None
        if offset == 0 and end >= searcher.doc_count_all() and not deleted:
            split[offset] = allowed
        else:
            split[offset] = frozenset(d - offset for d in allowed if offset <= d < end) - deleted
    return split


def score_matches(searcher: Any, query: Any, allowed: Collection[int],
                  split: dict[int, Collection[int]] | None = None) -> Scored | None:
    """Find and score every document in ``allowed`` matching ``query``.

    :param searcher: the top-level Whoosh searcher (document numbers are its).
    :param allowed: the document numbers that may be returned.
    :param split: ``split_allowed(searcher, allowed)``, if the caller kept it.
    :return: the matches, or ``None`` if the query has a shape this module does not
        evaluate (then ask Whoosh's collector).
    """
    if split is None:
        split = split_allowed(searcher, allowed)
        if split is None:
            return None
    scored = Scored()
    try:
        segments = [(_Segment(searcher, sub), offset) for sub, offset in searcher.leaf_searchers()]
    except Unsupported:
        return None
    family = [segment for segment, _offset in segments]
    for segment, offset in segments:
        segment.family = family
        end = offset + segment.sub.doc_count_all()
        within = split[offset]
        if not within:
            continue
        try:
            root = segment.node(query)
        except Unsupported:
            return None
        scored._segments.append((offset, end, segment))
        docnums = root.docs(within)
        if docnums:
            scored.matches.extend((score, d + offset) for d, score in root.scores(docnums).items())
    return scored


def any_match(searcher: Any, query: Any, allowed: Collection[int],
              split: dict[int, Collection[int]] | None = None) -> bool | None:
    """Return whether any document in ``allowed`` matches ``query`` (nothing is scored).

    The same matches as :func:`score_matches`, found the same way, segment by segment
    until one has any; ``None`` if the query has a shape this module does not evaluate.
    """
    if split is None:
        split = split_allowed(searcher, allowed)
        if split is None:
            return None
    try:
        segments = [(_Segment(searcher, sub), offset) for sub, offset in searcher.leaf_searchers()]
        family = [segment for segment, _offset in segments]
        roots = []
        for segment, offset in segments:
            segment.family = family
            if split[offset]:
                roots.append((segment.node(query), split[offset]))
    except Unsupported:
        return None
    return any(root.docs(within) for root, within in roots)
