"""Full-text search over LIF records, backed by Whoosh.

This and its helpers :mod:`lif.search_postings` and :mod:`lif.search_codec`
are the only modules that import :mod:`whoosh`. Callers hand it plain
dicts (flattening model objects into those dicts happens elsewhere) and get
plain dataclasses back, so the backend can be replaced without touching views.

Layout on disk
--------------
``path`` is a symbolic link to a sibling directory ``<name>.gen-<stamp>``
that holds one complete Whoosh index. Next to it live ``<name>.lock`` (the
writer lock), ``<name>.rebuild.lock`` (held for the whole of a rebuild) and
``<name>.journal`` (changes made while a rebuild runs). A plain directory at
``path`` (created by hand or by an older version) is used as is and replaced
by a link on the next rebuild.

Writing
-------
Several gunicorn workers, each with several threads, may write at once.
Whoosh's own ``WRITELOCK`` is not waited for by a plain ``index.writer()``
(it raises ``LockError`` at once), and ``AsyncWriter`` hides failures in a
background thread. So every change takes an exclusive ``fcntl.flock`` on
``<path>.lock`` first, opened afresh for each acquisition: ``flock`` locks
belong to the open file description, so this one lock excludes other threads
of the same process as well as other processes, and the kernel drops it if a
worker dies. Inside the lock a plain ``index.writer()`` is used; it is
committed only when every document was added, otherwise it is cancelled and
the error re-raised. Waiting for the lock gives up after ``lock_timeout``
seconds with :class:`SearchUnavailable`.

Rebuilding
----------
:meth:`SearchIndex.rebuild` streams documents into a new directory while
searches (and updates) keep using the old index. It holds
``<path>.rebuild.lock`` while it runs; :meth:`~SearchIndex.update` and
:meth:`~SearchIndex.delete` notice that lock and also append their change to
the journal. When the new index is complete the rebuild takes the writer
lock, replays the journal into the new index, and swaps the link with one
``rename()``, so no change made during the rebuild is lost and no reader ever
sees a half-built index. Readers notice the swap on their next search. The
previous generation is removed by the next rebuild, not at once, so idle
workers can still finish with it.

Reading
-------
Each :class:`SearchIndex` keeps one searcher and one query parser for its
life. Before each search it checks (one ``listdir``) whether the index has a
new generation and only then opens a new searcher; ``searcher.refresh()`` is
not used because in Whoosh-Reloaded 2.7.5 it keeps segments that a merge has
removed and misses new deletions (duplicate and deleted documents in
results). Indexes are opened without mmap: with it, Whoosh copies each
compound segment into memory when a reader opens (about 0.8 x the index size
per process, 70 ms at 20,000 documents, again after every change) for
searches measured only 15-20 % faster at 20,000 documents. The searcher
keeps the field lengths that scoring reads for every match instead (each
one a file read otherwise). Whoosh readers seek and read shared file
objects, so searches are serialised by a lock; Whoosh is pure Python, so the
GIL would serialise them anyway.

A search scores every permitted match once (the permission filter is
applied inside the search, so totals, facets and "did you mean" only
reflect documents the caller may see); that gives the ranking and the exact
total. Words and phrases sorted by relevance are scored by
:mod:`lif.search_postings`, which reads whole posting lists and joins them
with sets, with the same scores as Whoosh to the last bit; other queries
(``NOT``, wildcards, field and date queries) and sorting by date go through
Whoosh's collector. Facets are then counted from the sortable columns, cached per
segment, not with ``groupedby``: value by value for a few matches, and with
one bit mask per facet value (an AND and a bit count each) for many.
Snippets are made only for the hits on the requested page, from the
character offsets stored in the postings of the query's terms; the text is
not analysed again.

"Did you mean" looks a word the index does not hold up in the words of the
spelling fields, read once per segment and kept while the segment lives,
with Whoosh's ``ListCorrector`` (a Levenshtein automaton over a sorted list)
instead of ``reader.terms_within``, which walks the on-disk term table one
file read at a time (a misspelt query took 30 ms median, 140 ms p95 at
20,000 documents on a busy machine; now 3 and 8 ms). It
suggests exactly what Whoosh's readers would (a test compares them). The
corrected query is then checked for one permitted match, unscored.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import functools
import heapq
import html
import json
import logging
import math
import os
import re
import shutil
import sys
import threading
import time
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from itertools import chain, repeat
from pathlib import Path
from typing import Any

from whoosh import qparser
from whoosh import query as wq
from whoosh.analysis import StemFilter, StemmingAnalyzer, Token
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import NumericColumn
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    HtmlFormatter,
    PinpointFragmenter,
    top_fragments,
)
from whoosh.idsets import BitSet
from whoosh.index import FileIndex, create_in
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector
from whoosh.support.levenshtein import distance
from whoosh.util.numeric import byte_to_length
from whoosh.writing import IndexWriter

from .search_codec import LifCodec
from .search_postings import Scored, any_match, score_matches, split_allowed

__all__ = [
    "FACET_FIELDS",
    "SearchHit",
    "SearchIndex",
    "SearchQueryError",
    "SearchResults",
    "SearchUnavailable",
    "get_schema",
]

logger = logging.getLogger(__name__)

#: Text fields searched by default, in the order snippets are tried.
TEXT_FIELDS = ("title", "findings", "summary", "body", "attachments")
#: Fields a snippet may come from (the title is shown on its own).
SNIPPET_FIELDS = ("findings", "summary", "body", "attachments")
#: Fields whose unstemmed words feed "did you mean".
SPELL_FIELDS = ("title", "findings", "body")
#: Fields whose key terms describe a document for "more like this".
MLT_FIELDS = ("title", "findings", "summary", "body")
MLT_TERMS = 20
#: Fields counted for facets and accepted in ``filters``.
FACET_FIELDS = ("type", "theme", "agency", "state", "year")
#: Facets whose documents may carry several values.
MULTI_VALUED = frozenset({"theme", "agency"})

#: Longest query string that is parsed; the rest is ignored.
MAX_QUERY_CHARS = 500
#: Largest page size and deepest page served.
MAX_PAGELEN = 100
MAX_PAGE = 1000
#: Most values reported per facet.
FACET_LIMIT = 50
#: Most terms looked up for the snippets of one page (a prefix query may
#: expand to many).
MAX_SNIPPET_TERMS = 32

_STATUS_OK = "ok"
_STATUS_MISSING = "missing"
_STATUS_CORRUPT = "corrupt"

_TOC_RE = re.compile(r"^_MAIN_\d+\.toc$")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
_PLAIN_WORD = re.compile(r"[A-Za-z]+")
#: One quoted phrase of up to 8 plain words.
_QUOTED_WORDS = re.compile(r'\s*"([A-Za-z]+(?:[ \t]+[A-Za-z]+){0,7})"\s*')


class SearchQueryError(ValueError):
    """The query cannot be turned into a search; the message says why and
    is safe to show to the user.
    """


class SearchUnavailable(RuntimeError):
    """The index cannot be used right now (not built, unreadable or busy).

    The application should keep working and tell the user that search is
    unavailable; an administrator fixes it with :meth:`SearchIndex.rebuild`.

    :param message: what went wrong, in words for the log or an admin.
    :param status: ``"missing"``, ``"corrupt"`` or ``"busy"``.
    """

    def __init__(self, message: str, status: str = _STATUS_CORRUPT) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class SearchHit:
    """One search result, ready for a template.

    ``snippet`` is HTML: stored text is escaped and matches are wrapped in
    ``<mark>``. ``score`` is ``None`` when sorting by date.
    """

    id: str
    type: str
    title: str
    url: str
    parent_id: str
    score: float | None
    snippet: str
    date: date | None
    state: str


@dataclass
class SearchResults:
    """One page of results with totals, facets and a spelling suggestion.

    ``facets`` maps each facet field to ``(value, count)`` pairs, most common
    first (years newest first). Every number counts only documents the
    caller's principals may see.
    """

    query: str
    total: int
    page: int
    pages: int
    pagelen: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the results as plain, JSON-friendly data."""
        data = asdict(self)
        for hit in data["hits"]:
            if hit["date"] is not None:
                hit["date"] = hit["date"].isoformat()
        return data


# Schema and documents


def _analyzer() -> StemmingAnalyzer:
    """Return an English stemming analyzer with a thread-safe stem cache.

    Whoosh's own cache (``lfu_cache``) mutates a dict while evicting, which
    can fail when a writer thread and a search thread stem at the same time.
    ``functools.lru_cache`` is implemented in C and thread-safe. The cache is
    not pickled with the schema (``StemFilter`` drops ``_stem``).
    """
    analyzer = StemmingAnalyzer()
    for item in analyzer.items:
        if isinstance(item, StemFilter):
            item._stem = functools.lru_cache(maxsize=50_000)(item.stemfn)
    return analyzer


def _facet_field(stored: bool = False) -> KEYWORD:
    # Comma-separated so values may contain spaces; terms are lowercased so
    # ``theme:policing`` matches "Policing", while the column keeps the
    # original spelling for display.
    return KEYWORD(stored=stored, lowercase=True, commas=True, sortable=True)


@functools.cache
def get_schema() -> Schema:
    """Return the index schema (one shared, read-only instance).

    Indexes are always opened with this schema rather than the pickled copy
    in the index, so analyzers are this module's objects.
    """
    analyzer = _analyzer()

    def text(boost: float = 1.0, spelling: bool = False) -> TEXT:
        return TEXT(
            analyzer=analyzer,
            field_boost=boost,
            stored=True,
            chars=True,
            spelling=spelling,
        )

    return Schema(
        id=ID(unique=True, stored=True),
        parent_id=ID(stored=True),
        url=STORED(),
        title=text(3.0, spelling=True),
        findings=text(2.0, spelling=True),
        summary=text(),
        body=text(spelling=True),
        attachments=text(),
        type=_facet_field(stored=True),
        theme=_facet_field(),
        agency=_facet_field(),
        state=_facet_field(stored=True),
        year=_facet_field(),
        date=DATETIME(stored=True, sortable=True),
        principals=KEYWORD(commas=True),
    )


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _keywords(values: Any) -> str:
    if values is None:
        return ""
    if isinstance(values, str):
        values = [values]
    cleaned = (str(v).replace(",", " ").strip() for v in values)
    return ",".join(dict.fromkeys(v for v in cleaned if v))


def _to_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=None)
    raise TypeError(f"date must be a date, datetime or None, not {type(value).__name__}")


def document_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Turn one document dict into the keyword arguments for a Whoosh writer.

    :param doc: a dict with the keys described in :class:`SearchIndex`.
    :raises ValueError: if ``id`` is missing or empty.
    """
    doc_id = _str(doc.get("id")).strip()
    if not doc_id:
        raise ValueError(f"search document without an id: {doc!r:.200}")
    when = _to_datetime(doc.get("date"))
    fields: dict[str, Any] = {
        "id": doc_id,
        "parent_id": _str(doc.get("parent_id")),
        "url": _str(doc.get("url")),
        "type": _keywords(doc.get("type")),
        "theme": _keywords(doc.get("themes")),
        "agency": _keywords(doc.get("agencies")),
        "state": _keywords(doc.get("state")),
        "year": str(when.year) if when else "",
        "principals": _keywords(doc.get("principals")),
    }
    for name in TEXT_FIELDS:
        fields[name] = _str(doc.get(name))
    if when is not None:
        fields["date"] = when
    return fields


# Locks and files


@contextlib.contextmanager
def _flock(path: Path, timeout: float | None) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``, creating the file if needed.

    The file is opened for every acquisition, so the lock also excludes other
    threads of this process. ``timeout=None`` waits for ever.

    :raises SearchUnavailable: if the lock was not acquired in time.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise SearchUnavailable(
                        f"Search index is busy: could not lock {path} in {timeout:g}s.",
                        status="busy",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)


def _is_locked(path: Path) -> bool:
    """Return whether another holder has an exclusive ``flock`` on ``path``."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _codec() -> LifCodec:
    """The codec every writer uses: Whoosh's, with posting blocks kept as arrays
    (``lif/search_codec.py``). Each segment keeps the codec it was written with, so an index
    written by Whoosh's own codec reads as before."""
    return LifCodec()


def _open_index(directory: str) -> FileIndex:
    """Open the index in ``directory`` with this module's schema, without mmap.

    With mmap, Whoosh copies every file of a compound segment into a
    ``BytesIO`` when a reader opens (about 0.8 x the index size, per process,
    again after every change); plain file reads cost nothing to open.
    """
    storage = FileStorage(directory, supports_mmap=False)
    return storage.open_index(schema=get_schema())


def _has_toc(directory: str) -> bool:
    try:
        return any(_TOC_RE.match(name) for name in os.listdir(directory))
    except OSError:
        return False


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# Queries


def _strip_wildcards(text: str) -> str:
    """Remove wildcards that would expand to most of the vocabulary."""
    # Leading ``*``/``?`` of a word, and lone wildcards.
    text = re.sub(r"(?<![\w*?])[*?]+", " ", text)
    return text


def _tame(q: wq.Query) -> wq.Query:
    """Drop wildcard and prefix queries with fewer than two literal letters."""
    if isinstance(q, (wq.Wildcard, wq.Prefix)):
        literal = re.split(r"[*?]", q.text, maxsplit=1)[0]
        if len(literal) < 2:
            return wq.NullQuery
        return q
    if isinstance(q, wq.Every):
        return wq.NullQuery
    if q.is_leaf():
        return q
    return q.apply(_tame)


class _Parser:
    """The query language: a ``MultifieldParser`` over the text fields.

    Field names other than the text fields, ``type``, ``theme``/``themes``,
    ``agency``/``agencies``, ``state``, ``year`` and ``date`` are read as
    plain words. Not thread-safe; :class:`SearchIndex` calls it under its lock.
    """

    def __init__(self, schema: Schema) -> None:
        allowed = (*TEXT_FIELDS, *FACET_FIELDS, "date")
        visible = Schema(**{name: schema[name] for name in allowed})
        parser = qparser.MultifieldParser(list(TEXT_FIELDS), visible, group=qparser.AndGroup)
        parser.remove_plugin_class(qparser.EveryPlugin)
        parser.remove_plugin_class(qparser.SingleQuotePlugin)
        parser.add_plugin(qparser.FieldAliasPlugin({"theme": ["themes"], "agency": ["agencies"]}))
        self._date_plugin = DateParserPlugin(free=False)
        parser.add_plugin(self._date_plugin)
        self._parser = parser
        self._analyzer = schema[TEXT_FIELDS[0]].analyzer
        if any(schema[name].analyzer is not self._analyzer for name in TEXT_FIELDS):
            raise ValueError("the text fields must share one analyzer")
        self._words = qparser.MultifieldParser(list(TEXT_FIELDS), visible, plugins=[])
        for plugin_class in (
            qparser.FieldsPlugin,
            qparser.WildcardPlugin,
            qparser.PhrasePlugin,
            qparser.RangePlugin,
            qparser.GroupPlugin,
            qparser.OperatorsPlugin,
            qparser.BoostPlugin,
            qparser.EveryPlugin,
            qparser.SingleQuotePlugin,
        ):
            self._words.remove_plugin_class(plugin_class)

    def parse(self, text: str) -> wq.Query:
        """Parse user input into a query; blank input matches everything.

        :raises SearchQueryError: if a date cannot be understood.
        """
        text = text[:MAX_QUERY_CHARS].replace("\x00", " ")
        if not text.strip():
            return wq.Every()
        simple = self._words_only(text)
        if simple is not None:
            return simple
        errors: list[str] = []
        self._date_plugin.basedate = datetime.now()
        self._date_plugin.callback = errors.append
        try:
            q = self._parser.parse(_strip_wildcards(text))
        except Exception:
            logger.info("query %r not parsed; searching its words", text, exc_info=True)
            q = self._plain(text)
        finally:
            self._date_plugin.callback = None
        if errors:
            raise SearchQueryError(
                "Could not understand the date in the query; try date:2015 or date:[2014 to 2016]."
            )
        if q.is_leaf() and isinstance(q, wq.Every):
            return q
        q = _tame(q).normalize()
        return q

    def _words_only(self, text: str) -> wq.Query | None:
        """The parser's query for text of plain words only (no operators, fields,
        quotes…), or for one quoted phrase of plain words, built directly; ``None`` for
        any other text.

        Whoosh's parser takes about 0.8 ms even for two words, a quarter of such a
        search. The result is the same query (a test compares them): each word,
        analysed, as an ``Or`` over the text fields, all of them in an ``And``; a phrase's
        words, analysed together, as an ``Or`` of the phrase in each text field.
        """
        quoted = _QUOTED_WORDS.fullmatch(text)
        if quoted is not None:
            tokens = [token.text for token in self._analyzer(quoted.group(1), mode="query")]
            if not tokens:
                return wq.NullQuery
            if len(tokens) == 1:
                return wq.Or([wq.Term(name, tokens[0]) for name in TEXT_FIELDS])
            return wq.Or([wq.Phrase(name, tokens) for name in TEXT_FIELDS])
        words = text.split()
        if not words or len(words) > 8 or not all(_PLAIN_WORD.fullmatch(w) for w in words):
            return None
        if any(word in _OPERATORS for word in words):
            return None
        parts: list[wq.Query] = []
        for word in words:
            tokens = [token.text for token in self._analyzer(word, mode="query")]
            if len(tokens) > 1:
                return None
            parts.append(
                wq.Or([wq.Term(name, tokens[0]) for name in TEXT_FIELDS]) if tokens
                else wq.NullQuery
            )
        return wq.And(parts).normalize()

    def _plain(self, text: str) -> wq.Query:
        words = re.findall(r"\w+", text)
        words = [w for w in words if w not in _OPERATORS][:64]
        if not words:
            return wq.NullQuery
        try:
            return self._words.parse(" ".join(words))
        except Exception as exc:
            raise SearchQueryError("The query could not be understood.") from exc


# The index


# Snippets are cut around the stored character offsets of the matched terms;
# nothing is re-analysed.
_FRAGMENTER = PinpointFragmenter(maxchars=240, surround=60, autotrim=True)
_FRAGMENT_SCORER = BasicFragmentScorer()
_SNIPPET_FIELD_SET = frozenset(SNIPPET_FIELDS)


def _positive_terms(q: wq.Query, reader: Any) -> set[tuple[str, bytes]]:
    """Return the terms of snippet fields that ``q`` looks for, as bytes.

    Terms under ``NOT`` are left out; prefixes and wildcards are expanded to
    the terms in the index. Other terms are not looked up.
    """
    if isinstance(q, wq.Not):
        return set()
    if isinstance(q, wq.AndNot):
        return _positive_terms(q.a, reader)
    if isinstance(q, wq.MultiTerm):
        return {t for t in q.expanded_terms(reader) if t[0] in _SNIPPET_FIELD_SET}
    if q.is_leaf():
        return {
            (fieldname, text.encode("utf-8") if isinstance(text, str) else text)
            for fieldname, text in q.terms(phrases=True)
            if fieldname in _SNIPPET_FIELD_SET
        }
    found: set[tuple[str, bytes]] = set()
    for child in q.children():
        found |= _positive_terms(child, reader)
    return found


def _rank_key(match: tuple[float, int]) -> tuple[float, int]:
    return (-match[0], match[1])


def _matched_chars(
    searcher: Searcher, query: wq.Query, docnums: list[int], known: Scored | None = None
) -> dict[int, dict[str, list[Token]]]:
    """Return where the query's terms occur in each of ``docnums``.

    For each document, maps the first snippet field (in ``SNIPPET_FIELDS``
    order) that holds any of the query's terms to tokens (position and
    character range) of those terms, read from the offsets stored in the
    postings: one pass over each term's postings for the whole page, and
    nothing is re-analysed. Later fields are not read for a document that
    already has its snippet field. Postings that ``known`` (the search's own
    scoring) has read already are not read again.
    """
    found: dict[int, dict[str, list[Token]]] = {docnum: {} for docnum in docnums}
    if not docnums:
        return found
    terms = sorted(_positive_terms(query, searcher.reader()))[:MAX_SNIPPET_TERMS]
    by_field: dict[str, list[bytes]] = {}
    for fieldname, btext in terms:
        by_field.setdefault(fieldname, []).append(btext)
    pending = sorted(docnums)
    for fieldname in SNIPPET_FIELDS:
        if not pending:
            break
        for sub, offset in searcher.leaf_searchers():
            end = offset + sub.doc_count_all()
            local = [docnum - offset for docnum in pending if offset <= docnum < end]
            if not local:
                continue
            reader = sub.reader()
            for btext in by_field.get(fieldname, ()):
                where = None if known is None else known.characters(
                    offset, fieldname, btext, local)
                if where is None:
                    where = _characters_by_whoosh(reader, fieldname, btext, local)
                word = btext.decode("utf-8")
                for docnum, chars in where.items():
                    if chars:
                        found[docnum + offset].setdefault(fieldname, []).extend(
                            Token(text=word, pos=pos, startchar=startchar, endchar=endchar)
                            for pos, startchar, endchar in chars
                        )
        pending = [docnum for docnum in pending if not found[docnum]]
    return found


def _characters_by_whoosh(
    reader: Any, fieldname: str, btext: bytes, docnums: list[int]
) -> dict[int, list[tuple[int, int, int]]]:
    """``(position, startchar, endchar)`` of the term in those of ``docnums`` (sorted) that
    have it, from Whoosh's matcher (one skip per document)."""
    try:
        postings = reader.postings(fieldname, btext)
    except TermNotFound:
        return {}
    out = {}
    for docnum in docnums:
        if not postings.is_active():
            break
        postings.skip_to(docnum)
        if postings.is_active() and postings.id() == docnum:
            out[docnum] = postings.value_as("characters")
    return out


def _snippet(
    stored: Mapping[str, Any], chars: Mapping[str, list[Token]], formatter: HtmlFormatter
) -> str:
    """Return up to two highlighted fragments of the first field with a match.

    Without a match in a snippet field, the start of the summary (or findings,
    or body) is shown instead. Stored text is HTML-escaped either way.
    """
    for fieldname in SNIPPET_FIELDS:
        text = stored.get(fieldname)
        tokens = chars.get(fieldname)
        if not text or not tokens:
            continue
        tokens.sort(key=lambda t: t.startchar)
        fragments = top_fragments(
            _FRAGMENTER.fragment_matches(text, tokens), 2, _FRAGMENT_SCORER, FIRST
        )
        if fragments:
            return formatter.format(fragments)
    plain = stored.get("summary") or stored.get("findings") or stored.get("body") or ""
    plain = " ".join(plain.split())
    if len(plain) > 240:
        plain = plain[:240].rsplit(" ", 1)[0] + " …"
    return html.escape(plain, quote=False)


class _Searcher(Searcher):
    """A Whoosh searcher that reads each field's lengths once, and keeps the terms
    :mod:`lif.search_postings` looked up.

    BM25 needs the length of the matched field for every match it scores;
    Whoosh reads it from the index file each time (one seek and read per
    match, as indexes are opened without mmap). Here a segment's lengths of a
    field are read whole on first use, in one read (a byte a document), and
    kept for the searcher's life; the values are Whoosh's own, so scores are
    unchanged. Whoosh makes the searchers of the segments of the same class.
    """

    def __init__(self, reader: Any, **kwargs: Any) -> None:
        super().__init__(reader, **kwargs)
        self._read_length = self.doc_field_length
        self._lengths: dict[tuple[str, int], list[int | None]] = {}
        self.doc_field_length = self._doc_field_length
        #: Terms looked up by lif.search_postings, kept for the searcher's life.
        self.term_infos: dict[tuple[str, Any], Any] = {}

    def field_lengths(self, fieldname: str, default: int = 0) -> list[int | None]:
        """Every document's length of ``fieldname`` (``None``: ask ``doc_field_length``)."""
        lengths = self._lengths.get((fieldname, default))
        if lengths is None:
            lengths = self._lengths[fieldname, default] = self._length_column(fieldname, default)
        return lengths

    def _doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self.field_lengths(fieldname, default)
        length = lengths[docnum]
        if length is None:
            length = lengths[docnum] = self._read_length(docnum, fieldname, default)
        return length

    def _length_column(self, fieldname: str, default: int) -> list[int | None]:
        """All of a segment's lengths of ``fieldname`` as ``doc_field_length`` gives them
        (``None`` for a zero byte), or ``None`` each, to be read one by one, elsewhere."""
        size = self.doc_count_all()
        perdoc = getattr(self.reader(), "_perdoc", None)
        if perdoc is None:  # several segments: their searchers have their own columns
            return [None] * size
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return [default] * size
        if type(column) is not NumericColumn.Reader or column._fixedlen != 1:
            return [None] * size
        raw = column._dbfile.get(column._basepos, column._count) if column._count else b""
        return list(map(_BYTE_LENGTHS.__getitem__, raw)) + [None] * (size - len(raw))


# whoosh.codec.whoosh3.W3PerDocReader.doc_field_length: a zero byte gives None.
_BYTE_LENGTHS = [None] + [byte_to_length(b) for b in range(1, 256)]


@dataclass
class _FacetSegment:
    """The facet values of one segment's documents, read once per segment.

    ``columns`` maps each facet field to one entry per document (a tuple for
    multi-valued fields); ``masks`` is built from them on first use.
    """

    size: int
    columns: dict[str, list[Any]]
    masks: dict[str, dict[str, bytearray]] | None = None

    def value_masks(self) -> dict[str, dict[str, bytearray]]:
        """Return, per field and value, one byte per document: 1 if it has the value."""
        if self.masks is None:
            masks: dict[str, dict[str, bytearray]] = {}
            for name, column in self.columns.items():
                by_value: dict[str, bytearray] = {}
                for docnum, entry in enumerate(column):
                    for value in entry if name in MULTI_VALUED else (entry,):
                        if value:
                            if value not in by_value:
                                by_value[value] = bytearray(self.size)
                            by_value[value][docnum] = 1
                masks[name] = by_value
            self.masks = masks
        return self.masks


class _WordList(ListCorrector):
    """Whoosh's corrector over a sorted word list, whose lookup stays inside the list.

    ``ListCorrector.Skipper`` reads the item after the last one it returned, which is past
    the end of a short list (an ``IndexError``).
    """

    class Skipper:
        def __init__(self, data: list[str]) -> None:
            self.data = data

        def __call__(self, word: str) -> str | None:
            pos = bisect.bisect_left(self.data, word)
            return self.data[pos] if pos < len(self.data) else None


class _SpellingWords:
    """The words of the spelling fields (``SPELL_FIELDS``), each with the sum of its
    document frequencies over those fields and the index's segments.

    :meth:`closest` answers as Whoosh's readers do when asked field by field
    (``reader.terms_within(..., prefix=1)``, then ``reader.doc_frequency``): a reader of
    one segment finds words by Levenshtein distance (an automaton); a reader of several
    segments by Damerau-Levenshtein distance (``whoosh.support.levenshtein.distance``
    over the words with the same first letter).
    """

    def __init__(self, frequencies: Mapping[str, int], *, several_segments: bool) -> None:
        self.frequencies = dict(frequencies)
        self.several_segments = several_segments
        # The sorted words by first letter: a word's candidates share it (prefix=1).
        self._by_first: dict[str, list[str]] = {}
        for word in sorted(self.frequencies):
            self._by_first.setdefault(word[:1], []).append(word)

    def _levenshtein(self, word: str, maxdist: int) -> list[str]:
        """The listed words with ``word``'s first letter within ``maxdist`` Levenshtein edits,
        from Whoosh's corrector over those of them whose length is near enough (the
        automaton walks fewer words; a word of another length is farther anyway)."""
        near = [w for w in self._by_first.get(word[:1], ()) if abs(len(w) - len(word)) <= maxdist]
        if not near:
            return []
        return _WordList(near).suggest(word, limit=len(near), maxdist=maxdist, prefix=1)

    def _within(self, word: str, maxdist: int) -> set[str]:
        """Every listed word within ``maxdist`` edits of ``word`` with its first letter."""
        found = set(self._levenshtein(word, maxdist))
        if not self.several_segments:
            return found
        # Damerau-Levenshtein also counts swapping two neighbours as one edit. Swapping them
        # first and then allowing one edit fewer finds every such word; the exact distance
        # then keeps the same words as Whoosh's own check.
        swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
        swapped.discard(word)
        for variant in swapped:
            if maxdist == 1:
                if variant in self.frequencies:
                    found.add(variant)
                continue
            found.update(self._levenshtein(variant, maxdist - 1))
            found.update(
                twice for twice in (variant[:i] + variant[i + 1] + variant[i] + variant[i + 2:]
                                    for i in range(len(variant) - 1))
                if twice in self.frequencies)
        first = word[:1]
        return {cand for cand in found
                if cand[:1] == first and distance(cand, word, limit=maxdist) <= maxdist}

    def closest(self, word: str) -> str | None:
        """Return the most frequent word one edit from ``word``, else two; ``None`` if none."""
        for maxdist in (1, 2):
            candidates = self._within(word, maxdist)
            candidates.discard(word)
            if candidates:
                return max(candidates, key=lambda cand: (self.frequencies[cand], cand))
        return None


class SearchIndex:
    """A Whoosh index at ``path`` holding LIF documents.

    Documents are dicts with these keys (missing keys count as empty):

    ``id`` (unique str), ``type``, ``title``, ``summary``, ``findings``,
    ``body``, ``attachments`` (str), ``themes``, ``agencies`` (list of str),
    ``state`` (str), ``date`` (:class:`~datetime.date` or ``None``), ``url``,
    ``parent_id`` (str, "" unless the document belongs to another) and
    ``principals`` (list of str: who may see it, e.g. ``"role:admin"``,
    ``"agency:police"``, ``"public"``).

    :param path: where the index lives; its parent directory must exist and
        be writable, and also holds the lock, journal and new generations.
    :param lock_timeout: seconds a write waits for another writer.
    :param procs: processes used by :meth:`rebuild`.
    :param limitmb: memory per rebuild process, in MB, before Whoosh spills
        postings to disk.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lock_timeout: float = 60.0,
        procs: int = 1,
        limitmb: int = 64,
    ) -> None:
        self.path = Path(os.path.abspath(path))
        self.lock_timeout = lock_timeout
        self.procs = procs
        self.limitmb = limitmb
        self._lock = threading.RLock()
        self._ix: FileIndex | None = None
        self._searcher: Searcher | None = None
        self._identity: tuple[int, int] | None = None
        self._parser = _Parser(get_schema())
        self._allow_cache: OrderedDict[Any, BitSet] = OrderedDict()
        # The same documents as Python sets, for search_postings (by id of the BitSet).
        self._allow_sets: dict[int, tuple[BitSet, frozenset[int], Any]] = {}
        self._columns: dict[str, list[Any]] | None = None
        self._segments: list[_FacetSegment] = []
        self._segment_columns: dict[str, _FacetSegment] = {}
        self._masks: dict[str, list[tuple[str, int]]] | None = None
        # "Did you mean": each segment's spelling words, and their union for the searcher.
        self._spell_segments: dict[str, dict[str, int]] = {}
        self._spelling: _SpellingWords | None = None

    def __repr__(self) -> str:
        return f"<SearchIndex {str(self.path)!r}>"

    # Paths

    def _sibling(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    @property
    def _lock_path(self) -> Path:
        return self._sibling(".lock")

    @property
    def _rebuild_lock_path(self) -> Path:
        return self._sibling(".rebuild.lock")

    @property
    def _journal_path(self) -> Path:
        return self._sibling(".journal")

    def _current_identity(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _open_ix(self) -> FileIndex:
        return _open_index(os.path.realpath(self.path))

    def _generations(self) -> list[Path]:
        prefix = self.path.name + ".gen-"
        parent = self.path.parent
        try:
            names = os.listdir(parent)
        except OSError:
            return []
        return [parent / n for n in sorted(names) if n.startswith(prefix)]

    # Status and opening

    def status(self) -> str:
        """Return ``"ok"``, ``"missing"`` or ``"corrupt"``; never raises.

        Opens the index afresh, reads every segment's directory, a few terms
        and column values of each field, and runs a small search, so it costs
        a few milliseconds: call it from health checks, not per request.
        Damage deep inside a segment may only show when a search reads it,
        as :class:`SearchUnavailable`.
        """
        try:
            real = os.path.realpath(self.path)
            if not os.path.isdir(real) or not _has_toc(real):
                return _STATUS_MISSING
            ix = self._open_ix()
            with ix.searcher() as searcher:
                reader = searcher.reader()
                reader.doc_count()
                for leaf, _offset in reader.leaf_readers():
                    if not leaf.doc_count_all():
                        continue
                    for fieldname in ("id", "principals", *TEXT_FIELDS):
                        for _ in zip(range(3), leaf.lexicon(fieldname), strict=False):
                            pass
                    for fieldname in ("date", *FACET_FIELDS):
                        for _ in zip(range(3), leaf.column_reader(fieldname), strict=False):
                            pass
                results = searcher.search(wq.Every(), limit=3)
                for hit in results:
                    hit.fields()
        except Exception:
            logger.warning("search index at %s is unreadable", self.path, exc_info=True)
            return _STATUS_CORRUPT
        return _STATUS_OK

    def open(self) -> str:
        """Open the index, creating an empty one if there is none.

        A damaged index is left alone (and logged) so the application can
        start; searches then raise :class:`SearchUnavailable` until
        :meth:`rebuild` replaces it.

        :return: the :meth:`status` after opening.
        """
        try:
            self._ensure_exists()
        except SearchUnavailable:
            logger.warning("search index at %s could not be created", self.path, exc_info=True)
        status = self.status()
        if status == _STATUS_OK:
            with self._lock, contextlib.suppress(SearchUnavailable):
                self._current_searcher()
        return status

    def _ensure_exists(self) -> None:
        if _has_toc(os.path.realpath(self.path)):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _flock(self._lock_path, self.lock_timeout):
            real = os.path.realpath(self.path)
            if _has_toc(real):
                return
            if os.path.isdir(self.path) and not os.path.islink(self.path):
                create_in(real, get_schema())
                return
            target = self._new_generation_dir()
            create_in(str(target), get_schema())
            self._swap(target)

    def _new_generation_dir(self) -> Path:
        stamp = time.strftime("%Y%m%d%H%M%S")
        target = self._sibling(f".gen-{stamp}-{uuid.uuid4().hex[:8]}")
        target.mkdir()
        return target

    def _swap(self, target: Path) -> None:
        """Point ``path`` at ``target`` with one atomic rename."""
        link = self.path.with_name(f".{self.path.name}.link-{uuid.uuid4().hex[:8]}")
        os.symlink(target.name, link)
        try:
            if os.path.isdir(self.path) and not os.path.islink(self.path):
                # A plain directory cannot be replaced by a rename; move it
                # aside first (readers keep their open searcher meanwhile).
                os.rename(self.path, self._sibling(f".gen-old-{uuid.uuid4().hex[:8]}"))
            os.replace(link, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(link)
            raise
        _fsync_dir(self.path.parent)

    # Reading

    def _current_searcher(self) -> Searcher:
        """Return the shared searcher, reopened or refreshed as needed.

        Call with ``self._lock`` held.
        """
        identity = self._current_identity()
        if identity is None or not _has_toc(os.path.realpath(self.path)):
            if self._searcher is not None and identity is None:
                # Mid-swap, or the index was removed under us: keep serving.
                return self._searcher
            raise SearchUnavailable(
                "The search index has not been built yet.", status=_STATUS_MISSING
            )
        searcher = self._searcher
        try:
            if searcher is None or identity != self._identity:
                self._ix = self._open_ix()
                new = _Searcher(self._ix.reader(), fromindex=self._ix)
                self._identity = identity
            elif searcher.up_to_date():
                new = searcher
            else:
                # Not ``searcher.refresh()``: in Whoosh-Reloaded 2.7.5 it
                # reuses readers of segments that a merge removed and keeps
                # their old deletions, so updated documents show up twice and
                # deleted ones stay (and it fails on an empty index).
                new = _Searcher(self._ix.reader(), fromindex=self._ix)
        except Exception as exc:
            self._drop_searcher()
            raise SearchUnavailable(
                "The search index is unreadable; it needs to be rebuilt."
            ) from exc
        if new is not searcher:
            if searcher is not None and searcher.is_closed is False:
                with contextlib.suppress(Exception):
                    searcher.close()
            self._searcher = new
            self._allow_cache.clear()
            self._allow_sets.clear()
            self._columns = None
            self._masks = None
            self._spelling = None
        return new

    def _drop_searcher(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._ix = None
        self._identity = None
        self._allow_cache.clear()
        self._allow_sets.clear()
        self._columns = None
        self._masks = None
        self._segments = []
        self._segment_columns.clear()
        self._spelling = None
        self._spell_segments.clear()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Searcher]:
        with self._lock:
            searcher = self._current_searcher()
            try:
                yield searcher
            except (SearchQueryError, SearchUnavailable):
                raise
            except Exception as exc:
                logger.exception("search failed on %s", self.path)
                self._drop_searcher()
                raise SearchUnavailable(
                    "The search index is unreadable; it needs to be rebuilt."
                ) from exc

    def _allowed(
        self,
        searcher: Searcher,
        principals: tuple[str, ...],
        filters: tuple[tuple[str, tuple[str, ...]], ...],
    ) -> BitSet:
        """Return the documents the principals may see that match the filters.

        The permission part is ``Or(Term("principals", p) ...)``; results are
        cached per searcher so a search costs one set lookup per match.
        """
        key = (principals, filters)
        cached = self._allow_cache.get(key)
        if cached is not None:
            self._allow_cache.move_to_end(key)
            return cached
        parts: list[wq.Query] = [wq.Or([wq.Term("principals", p) for p in principals])]
        for fieldname, values in filters:
            parts.append(wq.Or([wq.Term(fieldname, v) for v in values]))
        q = parts[0] if len(parts) == 1 else wq.And(parts)
        allow = BitSet(searcher.docs_for_query(q), size=searcher.doc_count_all())
        self._allow_cache[key] = allow
        while len(self._allow_cache) > 64:
            _, dropped = self._allow_cache.popitem(last=False)
            self._allow_sets.pop(id(dropped), None)
        return allow

    def _allowed_sets(self, searcher: Searcher, allow: BitSet) -> tuple[frozenset[int], Any]:
        """Return ``allow`` (from :meth:`_allowed`) as a set, and split by segment
        (``search_postings.split_allowed``); made once per searcher."""
        known = self._allow_sets.get(id(allow))
        if known is None or known[0] is not allow:
            docs = frozenset(allow)
            known = (allow, docs, split_allowed(searcher, docs))
            self._allow_sets[id(allow)] = known
        return known[1], known[2]

    def _facet_columns(self, searcher: Searcher) -> dict[str, list[Any]]:
        """Return per-document facet values for the whole index.

        Each segment's columns are read once and kept until the segment goes
        away; multi-valued fields hold tuples.
        """
        if self._columns is not None:
            return self._columns
        combined: dict[str, list[Any]] = {name: [] for name in FACET_FIELDS}
        segments: list[_FacetSegment] = []
        live: dict[str, _FacetSegment] = {}
        for leaf, _offset in searcher.reader().leaf_readers():
            if not leaf.doc_count_all():
                continue
            segid = getattr(leaf, "_segid", None)
            segment = self._segment_columns.get(segid) if segid else None
            if segment is None:
                cols = {}
                for name in FACET_FIELDS:
                    # One object per distinct value, so counting hashes each once.
                    values = list(map(sys.intern, leaf.column_reader(name)))
                    if name in MULTI_VALUED:
                        split = {
                            v: tuple(map(sys.intern, v.split(","))) if v else () for v in values
                        }
                        cols[name] = list(map(split.__getitem__, values))
                    else:
                        cols[name] = values
                segment = _FacetSegment(leaf.doc_count_all(), cols)
            if segid:
                live[segid] = segment
            segments.append(segment)
            for name in FACET_FIELDS:
                combined[name].extend(segment.columns[name])
        self._segment_columns = live
        self._segments = segments
        self._columns = combined
        return combined

    def _facet_masks(self, searcher: Searcher) -> dict[str, list[tuple[str, int]]]:
        """Return, per facet field, each value with the documents that have it.

        A value's documents are an int with bit ``8 * docnum`` set for each
        (a byte per document, so masks are quick to build and to select
        from). With the per-segment masks they are joined from, this keeps
        about two bytes per document and facet value in memory.
        """
        if self._masks is not None:
            return self._masks
        self._facet_columns(searcher)
        masks: dict[str, list[tuple[str, int]]] = {}
        for name in FACET_FIELDS:
            parts = [segment.value_masks()[name] for segment in self._segments]
            values = sorted({value for part in parts for value in part})
            masks[name] = [
                (
                    value,
                    int.from_bytes(
                        b"".join(
                            part.get(value) or bytes(segment.size)
                            for part, segment in zip(parts, self._segments, strict=True)
                        ),
                        "little",
                    ),
                )
                for value in values
            ]
        self._masks = masks
        return masks

    def _count_facets(
        self, searcher: Searcher, docnums: list[int]
    ) -> dict[str, list[tuple[str, int]]]:
        columns = self._facet_columns(searcher)
        size = len(columns[FACET_FIELDS[0]])
        counted: dict[str, Counter[str]] = {}
        if len(docnums) * 16 > size:
            # Many matches: one AND and bit count per value beats looking up
            # every match's values.
            selected = bytearray(size)
            deque(map(selected.__setitem__, docnums, repeat(1)), maxlen=0)
            chosen = int.from_bytes(selected, "little")
            for name, values in self._facet_masks(searcher).items():
                counts = ((value, (mask & chosen).bit_count()) for value, mask in values)
                counted[name] = Counter({value: n for value, n in counts if n})
        else:
            for name in FACET_FIELDS:
                values = map(columns[name].__getitem__, docnums)
                if name in MULTI_VALUED:
                    values = chain.from_iterable(values)
                counted[name] = Counter(values)
        facets: dict[str, list[tuple[str, int]]] = {}
        for name, counts in counted.items():
            counts.pop("", None)
            if name == "year":
                items = sorted(counts.items(), reverse=True)
            else:
                items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower(), kv[0]))
            facets[name] = items[:FACET_LIMIT]
        return facets

    @staticmethod
    def _normalise_filters(
        filters: Mapping[str, str | Iterable[str]] | None,
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not filters:
            return ()
        out = []
        for name, values in sorted(filters.items()):
            if name not in FACET_FIELDS:
                raise SearchQueryError(f"Cannot filter on {name!r}.")
            if values is None:
                continue
            if isinstance(values, (str, int)):
                values = [values]
            cleaned = tuple(sorted({str(v).strip().lower() for v in values if str(v).strip()}))
            if cleaned:
                out.append((name, cleaned))
        return tuple(out)

    @staticmethod
    def _principals(principals: Iterable[str]) -> tuple[str, ...]:
        if isinstance(principals, str):
            principals = [principals]
        return tuple(sorted({str(p) for p in principals if p}))

    def search(
        self,
        q: str,
        principals: Iterable[str],
        *,
        page: int = 1,
        pagelen: int = 10,
        sort: str = "relevance",
        facets: bool = True,
        filters: Mapping[str, str | Iterable[str]] | None = None,
    ) -> SearchResults:
        """Search the index as someone holding ``principals``.

        :param q: the user's query: words (stemmed, all required), ``"phrases"``,
            ``AND``/``OR``/``NOT``, ``title:``, ``findings:`` and the other
            text fields, ``type:``, ``theme:``, ``agency:``, ``state:``,
            ``year:[2014 TO 2016]``, ``date:2015`` or ``date:[2014 to 2016]``.
            Blank matches every permitted document.
        :param principals: who is asking, e.g. ``["role:pdc", "public"]``.
            Only documents listing one of them are counted or returned.
        :param page: 1-based page number.
        :param pagelen: hits per page (at most 100).
        :param sort: ``"relevance"`` or ``"date"`` (newest first).
        :param facets: count facet values over all matches; turn off when
            only the hits are needed, which is faster.
        :param filters: facet values to restrict to, e.g.
            ``{"type": "review", "theme": ["Policing", "Youth"]}``: values of
            one field are alternatives, fields are all required.
        :raises SearchQueryError: if the query or arguments make no sense.
        :raises SearchUnavailable: if the index is missing or unreadable.
        """
        if sort not in ("relevance", "date"):
            raise SearchQueryError(f"Unknown sort {sort!r}; use 'relevance' or 'date'.")
        text = _str(q)
        page = min(max(int(page), 1), MAX_PAGE)
        pagelen = min(max(int(pagelen), 1), MAX_PAGELEN)
        who = self._principals(principals)
        wanted = self._normalise_filters(filters)

        with self._reading() as searcher:
            query = self._parser.parse(text)
            allow = self._allowed(searcher, who, wanted)
            if not allow:
                # Whoosh treats an empty filter as no filter at all.
                empty = {name: [] for name in FACET_FIELDS} if facets else {}
                return SearchResults(text, 0, page, 1, pagelen, [], empty, None)
            start = (page - 1) * pagelen
            scored = None
            if sort == "relevance":
                # Whole posting lists at once; None for query shapes it leaves to Whoosh.
                try:
                    docs, split = self._allowed_sets(searcher, allow)
                    scored = (
                        score_matches(searcher, query, docs, split) if split is not None else None
                    )
                except Exception:
                    # Whoosh's collector answers the same; if the index itself is
                    # damaged, it fails too and the search says so.
                    logger.exception("scoring %r from the postings failed; asking Whoosh", text)
            if scored is not None:
                matches = scored.matches
                total = len(matches)
                docnums = [docnum for _, docnum in matches]
                # Whoosh's order: score descending, then document number.
                shown = heapq.nsmallest(start + pagelen, matches, key=_rank_key)[start:]
            else:
                kwargs: dict[str, Any] = {}
                if sort == "date":
                    kwargs = {"sortedby": "date", "reverse": True}
                # One scored pass over all matches gives the ranking, the exact total and
                # the documents to count facets on. Measured at 20,000 documents it beats
                # a top-N pass (block skipping) followed by the second, unscored pass
                # Whoosh needs for the total or the docset. Matched terms are not recorded
                # (``terms=True`` costs a set per match); the snippets find them for the
                # page's hits only. The matcher still steps document by document
                # (``needs_current``): otherwise Whoosh preloads an ``Or`` of three or more
                # clauses on indexes of up to 5,000 documents, which is slower here.
                collector = searcher.collector(limit=None, filter=allow, **kwargs)
                searcher.search_with_collector(
                    query, collector, context=searcher.context(needs_current=True)
                )
                ranked = collector.results().top_n
                total = len(ranked)
                docnums = [docnum for _, docnum in ranked]
                shown = ranked[start : start + pagelen]
            facet_counts = self._count_facets(searcher, docnums) if facets else {}
            chars = _matched_chars(searcher, query, [docnum for _, docnum in shown], scored)
            # HtmlFormatter remembers every term it formats, so one per search.
            formatter = HtmlFormatter(tagname="mark", between=" … ")
            hits = [
                self._hit(
                    searcher.stored_fields(docnum),
                    score if sort == "relevance" else None,
                    chars[docnum],
                    formatter,
                )
                for score, docnum in shown
            ]
            suggestion = self._suggest(searcher, text, allow) if text.strip() else None

        return SearchResults(
            query=text,
            total=total,
            page=page,
            pages=max(1, math.ceil(total / pagelen)),
            pagelen=pagelen,
            hits=hits,
            facets=facet_counts,
            suggestion=suggestion,
        )

    def ranked_ids(
        self,
        q: str,
        principals: Iterable[str],
        *,
        start: int = 0,
        count: int = 10,
        filters: Mapping[str, str | Iterable[str]] | None = None,
    ) -> tuple[list[str], int]:
        """The ids of the matches ranked ``start`` to ``start + count`` (from 0), in the
        order :meth:`search` shows them (by relevance), and how many match in all; no
        snippets, facets or suggestion (a list's search box: its rows come from the
        database).

        :raises SearchQueryError: if the query makes no sense.
        :raises SearchUnavailable: if the index is missing or unreadable.
        """
        text = _str(q)
        start, count = max(int(start), 0), max(int(count), 0)
        who = self._principals(principals)
        wanted = self._normalise_filters(filters)
        with self._reading() as searcher:
            query = self._parser.parse(text)
            allow = self._allowed(searcher, who, wanted)
            if not allow:
                return [], 0
            scored = None
            try:
                docs, split = self._allowed_sets(searcher, allow)
                scored = score_matches(searcher, query, docs, split) if split is not None \
                    else None
            except Exception:
                logger.exception("scoring %r from the postings failed; asking Whoosh", text)
            if scored is not None:
                total = len(scored.matches)
                shown = heapq.nsmallest(start + count, scored.matches, key=_rank_key)[start:]
            else:
                collector = searcher.collector(limit=None, filter=allow)
                searcher.search_with_collector(
                    query, collector, context=searcher.context(needs_current=True))
                ranked = collector.results().top_n
                total = len(ranked)
                shown = ranked[start:start + count]
            ids = [searcher.stored_fields(docnum).get("id", "") for _, docnum in shown]
        return ids, total

    @staticmethod
    def _hit(
        stored: Mapping[str, Any],
        score: float | None,
        chars: Mapping[str, list[Token]] | None = None,
        formatter: HtmlFormatter | None = None,
    ) -> SearchHit:
        """Turn stored fields into a hit; a snippet is made if ``formatter`` is given."""
        when = stored.get("date")
        return SearchHit(
            id=stored.get("id", ""),
            type=stored.get("type", ""),
            title=stored.get("title", ""),
            url=stored.get("url", ""),
            parent_id=stored.get("parent_id", ""),
            score=None if score is None else float(score),
            snippet="" if formatter is None else _snippet(stored, chars or {}, formatter),
            date=when.date() if isinstance(when, datetime) else None,
            state=stored.get("state", ""),
        )

    def _suggest(self, searcher: Searcher, text: str, allow: BitSet) -> str | None:
        """Return the query with unknown words corrected, or ``None``.

        A suggestion is offered only if it finds documents the caller may
        see, so it cannot reveal words from documents they may not.
        """
        reader = searcher.reader()
        analyzer = get_schema()["title"].analyzer
        text = text[:MAX_QUERY_CHARS]
        replacements: list[tuple[int, int, str]] = []
        for m in re.finditer(r"(?:(\w+):)?([^\W\d_]{3,})", text):
            fieldname, word = m.group(1), m.group(2)
            if fieldname and fieldname not in TEXT_FIELDS:
                continue
            if word in _OPERATORS or text[m.end() : m.end() + 1] == ":":
                continue
            stems = [t.text for t in analyzer(word.lower())]
            if not stems:
                continue  # a stop word
            stem = stems[0]
            if any((f, stem) in reader for f in TEXT_FIELDS):
                continue
            best = self._spelling_words(searcher).closest(word.lower())
            if best and best != word.lower():
                replacements.append((m.start(2), m.end(2), best))
        if not replacements:
            return None
        out = text
        for start, end, best in reversed(replacements):
            out = out[:start] + best + out[end:]
        try:
            corrected = self._parser.parse(out)
        except SearchQueryError:
            return None
        return out if self._any_match(searcher, corrected, allow) else None

    def _any_match(self, searcher: Searcher, query: wq.Query, allow: BitSet) -> bool:
        """Return whether any document in ``allow`` matches ``query``; nothing is scored.

        Words and phrases are looked up as a search looks them up (lif.search_postings);
        other queries step Whoosh's matchers to the first permitted match.
        """
        try:
            docs, split = self._allowed_sets(searcher, allow)
            found = any_match(searcher, query, docs, split) if split is not None else None
        except Exception:
            logger.exception("checking %r from the postings failed; asking Whoosh", query)
            found = None
        if found is None:
            found = any(docnum in allow for docnum in searcher.docs_for_query(query))
        return found

    def _spelling_words(self, searcher: Searcher) -> _SpellingWords:
        """Return the searcher's words for "did you mean", made on first use.

        Each segment's words are read once and kept while the segment lives
        (a change adds a small segment; only that one is read).
        """
        if self._spelling is not None:
            return self._spelling
        reader = searcher.reader()
        schema = get_schema()
        spellnames = [schema[name].spelling_fieldname(name) for name in SPELL_FIELDS]
        live: dict[str, dict[str, int]] = {}
        merged: Counter[str] = Counter()
        for leaf, _offset in reader.leaf_readers():
            segment = leaf.segment()
            segid = segment.segment_id() if segment is not None else None
            words = self._spell_segments.get(segid) if segid else None
            if words is None:
                words = {}
                for spellname in spellnames:
                    for btext, info in leaf.iter_field(spellname):
                        word = btext.decode("utf-8")
                        words[word] = words.get(word, 0) + info.doc_frequency()
            if segid:
                live[segid] = words
            merged.update(words)
        self._spell_segments = live
        self._spelling = _SpellingWords(merged, several_segments=not reader.is_atomic())
        return self._spelling

    def more_like_this(
        self, doc_id: str, principals: Iterable[str], limit: int = 5
    ) -> list[SearchHit]:
        """Return up to ``limit`` documents related to ``doc_id``.

        Uses the document's key terms (title, findings, summary and body).
        The document itself and its attachments are left out, and nothing is
        returned if the caller may not see the document.

        :raises SearchUnavailable: if the index is missing or unreadable.
        """
        who = self._principals(principals)
        limit = min(max(int(limit), 1), MAX_PAGELEN)
        with self._reading() as searcher:
            allow = self._allowed(searcher, who, ())
            docnum = searcher.document_number(id=str(doc_id))
            if docnum is None or docnum not in allow:
                return []
            stored = searcher.stored_fields(docnum)
            weights: dict[str, float] = {}
            for fieldname in MLT_FIELDS:
                text = stored.get(fieldname) or ""
                if not text.strip():
                    continue
                for term, weight in searcher.key_terms_from_text(fieldname, text, numterms=10):
                    weights[term] = max(weight, weights.get(term, 0.0))
            top = sorted(weights.items(), key=lambda kv: -kv[1])[:MLT_TERMS]
            if not top:
                return []
            # Key terms are stems; look for them in all fields, not only the
            # field they came from.
            q = wq.Or([wq.Term(f, term, boost=weight) for term, weight in top for f in MLT_FIELDS])
            mask = {docnum} | set(searcher.document_numbers(parent_id=str(doc_id)))
            results = searcher.search(q, limit=limit, filter=allow, mask=mask)
            return [self._hit(hit.fields(), hit.score) for hit in results]

    # Writing

    @contextlib.contextmanager
    def _writer(self) -> Iterator[IndexWriter]:
        """Yield a writer on the live index, committed only on success.

        Call with the writer lock held, after validating the documents: any
        error inside is reported as :class:`SearchUnavailable` (after the
        writer was cancelled).
        """
        try:
            ix = self._open_ix()
            writer = ix.writer(timeout=self.lock_timeout, delay=0.05, codec=_codec())
        except Exception as exc:
            raise SearchUnavailable(
                "The search index is unreadable; it needs to be rebuilt."
            ) from exc
        try:
            yield writer
            writer.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                writer.cancel()
            if isinstance(exc, Exception) and not isinstance(exc, SearchUnavailable):
                raise SearchUnavailable(
                    "The search index could not be written; it may need to be rebuilt."
                ) from exc
            raise

    def _journal(self, entries: list[dict[str, Any]]) -> bool:
        """Append changes to the journal if a rebuild is running.

        Call with the writer lock held. Returns whether anything was written.
        """
        if not _is_locked(self._rebuild_lock_path):
            return False
        with open(self._journal_path, "a", encoding="utf-8") as fh:
            for entry in entries:
                fh.write(json.dumps(entry, default=_json_default) + "\n")
        return True

    def update(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add or replace documents (matched by ``id``) in one commit.

        The batch is held in memory (a later document with the same id wins);
        use :meth:`rebuild` for everything at once.

        :return: the number of documents written.
        :raises ValueError: if a document has no id (nothing is written).
        :raises SearchUnavailable: if the index is unreadable or busy.
        """
        batch: dict[str, dict[str, Any]] = {}
        for doc in docs:
            fields = document_fields(doc)
            batch[fields["id"]] = fields
        if not batch:
            return 0
        self._ensure_exists()
        with _flock(self._lock_path, self.lock_timeout):
            journalled = self._journal([{"op": "update", "fields": f} for f in batch.values()])
            try:
                with self._writer() as writer:
                    for fields in batch.values():
                        writer.update_document(**fields)
            except SearchUnavailable:
                if not journalled:
                    raise
                logger.warning("live index unreadable; change kept for the running rebuild")
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id in one commit; unknown ids are ignored.

        :return: the number of ids given.
        :raises SearchUnavailable: if the index is unreadable or busy.
        """
        wanted = list(dict.fromkeys(str(i) for i in ids if i))
        if not wanted:
            return 0
        self._ensure_exists()
        with _flock(self._lock_path, self.lock_timeout):
            journalled = self._journal([{"op": "delete", "id": i} for i in wanted])
            try:
                with self._writer() as writer:
                    for doc_id in wanted:
                        writer.delete_by_term("id", doc_id)
            except SearchUnavailable:
                if not journalled:
                    raise
                logger.warning("live index unreadable; change kept for the running rebuild")
        return len(wanted)

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None = None,
        procs: int | None = None,
    ) -> int:
        """Replace the whole index with ``docs``, atomically.

        Documents are streamed into a new sibling directory (memory stays
        bounded by ``limitmb`` per process, whatever the number of documents;
        ids must be unique). Searches keep using the old index meanwhile, and
        updates or deletes made meanwhile are replayed into the new index
        before it is swapped in. If anything fails the old index is untouched.
        A damaged index is repaired this way.

        :param docs: every document; read once, lazily.
        :param progress: called with the number of documents written so far,
            every 500 documents and at the end.
        :param procs: processes for this rebuild (default: the index's ``procs``).
            Two build about twice as fast on two cores, into one segment per
            process: searches are then 15-40% slower and equal scores may come in
            another order, until later updates merge the segments.
        :return: the number of documents indexed.
        """
        # One rebuild at a time (a second one waits). Directories are only
        # created, swapped or removed under the writer lock.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _flock(self._rebuild_lock_path, None):
            with _flock(self._lock_path, self.lock_timeout):
                self._journal_path.unlink(missing_ok=True)
                # Left-overs of crashed rebuilds and the generation before last.
                self._remove_generations(keep={os.path.realpath(self.path)})
                target = self._new_generation_dir()
            try:
                count = self._build(target, docs, progress, procs or self.procs)
                with _flock(self._lock_path, self.lock_timeout):
                    self._replay_journal(target)
                    ix = _open_index(str(target))
                    ix.doc_count()  # opens every segment: fail before the swap
                    previous = os.path.realpath(self.path)
                    self._swap(target)
                    self._journal_path.unlink(missing_ok=True)
                    self._remove_generations(keep={str(target), previous})
            except BaseException:
                shutil.rmtree(target, ignore_errors=True)
                raise
        if progress is not None:
            progress(count)
        with self._lock:
            with contextlib.suppress(SearchUnavailable):
                self._current_searcher()
        return count

    def _build(
        self,
        target: Path,
        docs: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None,
        procs: int,
    ) -> int:
        ix = create_in(str(target), get_schema())
        options: dict[str, Any] = {"limitmb": self.limitmb, "codec": _codec()}
        if procs > 1:
            options.update(procs=procs, multisegment=True)
        writer = ix.writer(**options)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**document_fields(doc))
                count += 1
                if progress is not None and count % 500 == 0:
                    progress(count)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return count

    def _replay_journal(self, target: Path) -> None:
        try:
            fh = open(self._journal_path, encoding="utf-8")
        except FileNotFoundError:
            return
        with fh:
            entries = [json.loads(line) for line in fh if line.strip()]
        if not entries:
            return
        # Only the last change to each id matters; a writer cannot replace a
        # document it added itself, so apply one delete (+ add) per id.
        latest: dict[str, dict[str, Any] | None] = {}
        for entry in entries:
            if entry["op"] == "delete":
                latest[entry["id"]] = None
            else:
                latest[entry["fields"]["id"]] = entry["fields"]
        ix = _open_index(str(target))
        writer = ix.writer(codec=_codec())
        try:
            for doc_id, fields in latest.items():
                writer.delete_by_term("id", doc_id)
                if fields is not None:
                    if fields.get("date"):
                        fields["date"] = datetime.fromisoformat(fields["date"])
                    writer.add_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        logger.info("replayed %d change(s) made during the rebuild", len(entries))

    def _remove_generations(self, keep: set[str]) -> None:
        for directory in self._generations():
            if str(directory) not in keep and os.path.realpath(directory) not in keep:
                shutil.rmtree(directory, ignore_errors=True)
        prefix = f".{self.path.name}.link-"
        with contextlib.suppress(OSError):
            for name in os.listdir(self.path.parent):
                if name.startswith(prefix):
                    with contextlib.suppress(OSError):
                        os.unlink(self.path.parent / name)

    def close(self) -> None:
        """Release the shared searcher (it is reopened when needed)."""
        with self._lock:
            self._drop_searcher()


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot journal {type(value).__name__}")
