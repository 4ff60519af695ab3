"""Whoosh's codec with posting blocks kept as arrays, read without unpickling.

Whoosh's own codec (``whoosh.codec.whoosh3``) stores each block of up to 128 postings as one
pickle of three tuples (document numbers as deltas, weights, values), and each value of a
text field as one more pickle (``Characters``: the positions and characters of the
occurrences). Reading a block is then about 25 microseconds of unpickling, and checking a
phrase one more ``pickle.loads`` per candidate document: most of a search's time once the
matching itself is done with sets (``lif/search_postings.py``).

:class:`LifCodec` writes the same files, terms and block headers, with a block's data as

* a header: what kind of values follow and how many;
* the document numbers (``array('I')``) and the weights (``array('f')``), as bytes;
* for ``Characters`` values, each posting's number of occurrences (``array('I')``) and all of
  the block's ``(position delta, start delta, length)`` numbers in one ``array('i')`` (the
  very numbers the pickle held); for any other values, their lengths and their bytes.

All little-endian. :class:`LeafMatcher` gives Whoosh what its own matcher gives (a
``Characters`` value is pickled again, as ``Characters.encode`` would, when Whoosh asks for
it), so every Whoosh feature works on these segments, and :func:`decode_block` gives
``lif/search_postings.py`` the arrays themselves.

A block says which kind it is in the header's "compression" slot (:data:`LIF_BLOCK`): Whoosh's
reader would fail on it loudly (it would try to decompress it), never misread it. Each
segment keeps the codec it was written with (pickled in the index's table of contents), so an
index written by Whoosh's codec, or partly by each, reads as before; and so these classes must
keep their names and module (an index that cannot be opened is reported, and ``lif reindex``
rebuilds it). Measured at 20,000 documents: the index is 248 MB (120 MB with Whoosh's zlib
blocks), builds in 46 s with two processes (62 s), and phrases are about twice as fast.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence
from itertools import accumulate, chain
from pickle import dumps, loads
from typing import Any

from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
)
from whoosh.formats import Characters, Format
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte

__all__ = ["LIF_BLOCK", "CharacterValues", "LifCodec", "read_block"]

#: In a block header's compression slot: the block is this module's.
LIF_BLOCK = -1
#: Kinds of values: none (a format whose values are empty), Characters' numbers, or bytes.
NO_VALUES, CHARACTERS, BYTES = 0, 1, 2
_HEADER = struct.Struct("<BI")  # kind, number of values
_SWAP = sys.byteorder != "little"


def _bytes(numbers: array) -> bytes:
    if _SWAP:
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


def _array(typecode: str, data: bytes | memoryview) -> array:
    numbers = array(typecode)
    numbers.frombytes(data)
    if _SWAP:
        numbers.byteswap()
    return numbers


def _characters(values: list[bytes]) -> tuple[array, array] | None:
    """Each value's occurrence count and all their numbers, or ``None`` if one is not the
    pickle ``Characters.encode`` writes."""
    counts, numbers = array("I"), array("i")
    try:
        for value in values:
            if not value.endswith(b"."):
                value += b"."
            codes = loads(value[4:])
            counts.append(len(codes))
            numbers.extend(chain.from_iterable(codes))
    except Exception:  # any surprise is stored as plain bytes instead
        return None
    if len(numbers) != 3 * sum(counts):
        return None
    return counts, numbers


def encode_block(ids: Sequence[int], weights: Sequence[float], values: list[bytes],
                 format_: Format) -> bytes:
    """A block's data: see the module's description."""
    parts = [_bytes(array("I", ids)), _bytes(array("f", weights))]
    kind = BYTES
    if format_.fixed_value_size() == 0:
        kind = NO_VALUES
    elif type(format_) is Characters and len(values) == len(ids):
        found = _characters(values)
        if found is not None:
            kind = CHARACTERS
            parts += [_bytes(found[0]), _bytes(found[1])]
    if kind == BYTES:
        parts += [_bytes(array("I", map(len, values))), *values]
    return _HEADER.pack(kind, len(values)) + b"".join(parts)


class CharacterValues(Sequence):
    """A block's ``Characters`` values: occurrence numbers kept as arrays, each posting's
    value pickled as ``Characters.encode`` writes it when asked for."""

    __slots__ = ("_starts", "counts", "numbers")

    def __init__(self, counts: array, numbers: array) -> None:
        self.counts = counts
        self.numbers = numbers
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """Where each posting's occurrences start (in threes of :attr:`numbers`), and where
        the last one ends; worked out when first needed (most blocks a search reads are
        only asked for ids and weights)."""
        if self._starts is None:
            self._starts = list(accumulate(self.counts, initial=0))
        return self._starts

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        codes = self.codes(i)
        return pack_uint(len(codes)) + dumps(codes, 2)

    def codes(self, i: int) -> list[tuple[int, int, int]]:
        """Posting ``i``'s ``(position delta, start delta, length)`` of each occurrence."""
        numbers = self.numbers[3 * self.starts[i]:3 * self.starts[i + 1]]
        return list(zip(numbers[0::3], numbers[1::3], numbers[2::3], strict=True))

    def positions(self, i: int) -> list[int]:
        """Posting ``i``'s positions (``Characters.decode_positions``)."""
        starts = self.starts
        start = 3 * starts[i]
        if self.counts[i] == 1:
            return [self.numbers[start]]
        return list(accumulate(self.numbers[start:3 * starts[i + 1]:3]))

    def characters(self, i: int) -> list[tuple[int, int, int]]:
        """Posting ``i``'s ``(position, startchar, endchar)`` (``decode_characters``)."""
        out = []
        position = endchar = 0
        for step, gap, length in self.codes(i):
            position += step
            startchar = endchar + gap
            endchar = startchar + length
            out.append((position, startchar, endchar))
        return out


def decode_block(data: bytes, count: int, fixedsize: int | None) -> tuple[array, array, Any]:
    """``(ids, weights, values)`` of a block's data (:func:`encode_block`'s) of ``count``
    postings; values as Whoosh's matcher gives them (``CharacterValues`` for Characters)."""
    view = memoryview(data)
    kind, nvalues = _HEADER.unpack_from(view)
    at = _HEADER.size
    ids = _array("I", view[at:at + 4 * count])
    at += 4 * count
    weights = _array("f", view[at:at + 4 * count])
    at += 4 * count
    values: Any
    if kind == NO_VALUES:
        values = (None,) * count if fixedsize == 0 else ()
    elif kind == CHARACTERS:
        counts = _array("I", view[at:at + 4 * nvalues])
        values = CharacterValues(counts, _array("i", view[at + 4 * nvalues:]))
    else:
        lengths = _array("I", view[at:at + 4 * nvalues])
        at += 4 * nvalues
        ends = list(accumulate(lengths, initial=at))
        values = tuple(bytes(view[a:b]) for a, b in zip(ends, ends[1:], strict=False))
    return ids, weights, values


def read_block(matcher: W3LeafMatcher) -> tuple[array, array, Any]:
    """The current block of ``matcher`` (over one of this codec's posting lists)."""
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    return decode_block(data, matcher._blocklength, matcher._fixedsize)


class PostingsWriter(W3PostingsWriter):
    """``W3PostingsWriter`` writing :func:`encode_block`'s blocks."""

    def _write_block(self, last: bool = False) -> None:
        # W3PostingsWriter._write_block with this module's data and LIF_BLOCK.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        databytes = encode_block(ids, self._weights, self._values, self._format)
        infobytes = dumps((len(ids), ids[-1], self._maxweight, LIF_BLOCK,
                           length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class LeafMatcher(W3LeafMatcher):
    """``W3LeafMatcher`` over this codec's blocks (and Whoosh's, block by block)."""

    def _read_data(self) -> None:
        if self._compression != LIF_BLOCK:
            super()._read_data()
            return
        self._data = read_block(self)

    def _part(self, index: int) -> Any:
        """Part ``index`` (ids, weights, values) of the current block of this codec."""
        if self._data is None:
            self._read_data()
        return self._data[index]

    def _read_ids(self) -> None:
        if self._compression == LIF_BLOCK:
            self._ids = self._part(0)
        else:
            super()._read_ids()

    def _read_weights(self) -> None:
        if self._compression == LIF_BLOCK:
            self._weights = self._part(1)
        else:
            super()._read_weights()

    def _read_values(self) -> None:
        if self._compression == LIF_BLOCK:
            self._values = self._part(2)
        else:
            super()._read_values()


class PerDocReader(W3PerDocReader):
    """``W3PerDocReader`` that remembers which fields have no length column.

    Whoosh asks for a field length for every posting it writes, and for a field without
    lengths (IDs, keywords, the spelling fields) its reader looked for the column file again
    each time: an ``os.stat`` per posting, a fifth of a build's time.
    """

    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        reader = super()._cached_reader(fieldname, column)
        if reader is None:
            self._readers[fieldname] = None  # a segment's files never change
        return reader


class LifCodec(W3Codec):
    """Whoosh's W3 codec with :class:`PostingsWriter`'s blocks (vectors keep Whoosh's)."""

    def per_document_reader(self, storage: Any, segment: Any) -> W3PerDocReader:
        return PerDocReader(storage, segment)

    def __init__(self, blocklimit: int = 128, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=0, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        if byteids:  # term vectors, which Whoosh reads with its own matcher
            return super().postings_writer(dbfile, byteids=True)
        return PostingsWriter(dbfile, blocklimit=self._blocklimit, compression=0,
                              inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Format, term: Any = None,
                        scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
