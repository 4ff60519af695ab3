"""Read text and structure out of uploaded Word (.docx) files, safely.

Every function here treats the input as hostile. :func:`check_zip` inspects
the zip central directory (without decompressing anything) before any parser
sees the file, and every failure of the underlying libraries (python-docx,
lxml, zipfile, ...) is turned into a :class:`~documents.errors.DocumentError`
with a one-line, user-facing message.

Text layout produced by :func:`extract_text`:

-   Each body paragraph is one line; paragraphs are joined with ``"\\n"``.
    Paragraphs that are empty or only whitespace are dropped.
-   A table is one line per row, with the cells of a row joined by ``"\\t"``.
    A cell's own content (its paragraphs, and the rows of any nested table,
    rendered the same way recursively) is joined with ``"\\n"``, so a cell
    holding several paragraphs or a nested table spans several lines.
    Empty cells are kept (as empty strings) so columns stay aligned.
-   Block-level content controls (``w:sdt``), custom XML and tracked
    insertions are read through; tracked deletions are not included. Text in
    floating text boxes, footnotes, endnotes and comments is not included.
-   After the body come the headers and then the footers of each section, in
    section order. A header or footer whose text was already emitted (linked
    or repeated across sections) is not repeated.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from .errors import DocumentError
from .filetypes import OLE2_MAGIC, zip_entry_count_bound

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

__all__ = [
    "Block",
    "check_zip",
    "extract_text",
    "first_heading",
    "iter_blocks",
]

MB = 1024 * 1024

#: Compression ratio is only checked for entries at least this big once
#: unpacked; small, highly repetitive XML parts legitimately compress well.
RATIO_CHECK_MIN_SIZE = 1 * MB

_ENCRYPTED_FLAG = 0x1
_LOCAL_HEADER_SIZE = 30
_STEP = 64 * 1024
_SUPPORTED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

_OLE2_MESSAGE = (
    "The file is password-protected or in the old .doc format;"
    " save it as an unprotected .docx and try again."
)
_BAD_ZIP_MESSAGE = "The file is not a Word document (it is not a valid .docx zip)."
#: What :func:`check_zip` says of a file that is not the zip it should be, per kind of file.
_NOT_ZIP = {
    "docx": (_OLE2_MESSAGE, _BAD_ZIP_MESSAGE),
    "xlsx": ("The file is password-protected or in the old .xls format;"
             " save it as an unprotected .xlsx and try again.",
             "The file is not an Excel workbook (it is not a valid .xlsx zip)."),
}
_NOT_WORD_MESSAGE = "The file is not a Word document (it could not be opened as a .docx file)."
_READ_FAILED_MESSAGE = "The Word document could not be read; it may be damaged."

HeadingBlock: TypeAlias = tuple[Literal["heading"], int, str]
ParagraphBlock: TypeAlias = tuple[Literal["paragraph"], str, str]
TableBlock: TypeAlias = tuple[Literal["table"], list[list[str]]]
#: One item yielded by :func:`iter_blocks`.
Block: TypeAlias = HeadingBlock | ParagraphBlock | TableBlock

# WordprocessingML tags, in lxml's "{namespace}local" form.
_P = qn("w:p")
_R = qn("w:r")
_TBL = qn("w:tbl")
_TR = qn("w:tr")
_TC = qn("w:tc")
_SECT_PR = qn("w:sectPr")
_HEADER_REF = qn("w:headerReference")
_FOOTER_REF = qn("w:footerReference")
_R_ID = qn("r:id")

#: The text a run's inner-content elements stand for (python-docx's ``CT_R.text`` rules,
#: read directly from the children: its XPath per run was 60 % of reading a large index).
_RUN_TEXT = {qn("w:tab"): "\t", qn("w:ptab"): "\t", qn("w:cr"): "\n",
             qn("w:noBreakHyphen"): "-"}
_T = qn("w:t")
_PPR = qn("w:pPr")
_PSTYLE = qn("w:pStyle")
_VAL = qn("w:val")
_BR = qn("w:br")
_BR_TYPE = qn("w:type")

#: Elements never descended into while looking for paragraphs, tables, rows,
#: cells or runs: property elements, and deleted or moved-away content.
_SKIP = frozenset(
    qn(tag)
    for tag in (
        "w:pPr",
        "w:rPr",
        "w:tblPr",
        "w:tblPrEx",
        "w:tblGrid",
        "w:trPr",
        "w:tcPr",
        "w:sectPr",
        "w:sdtPr",
        "w:sdtEndPr",
        "w:customXmlPr",
        "w:del",
        "w:moveFrom",
    )
)

_HEADING_RE = re.compile(r"heading\s*([1-9])", re.IGNORECASE)


def check_zip(
    data: bytes,
    *,
    max_total: int = 200 * MB,
    max_ratio: int = 100,
    max_entries: int = 10_000,
    kind: str = "docx",
) -> None:
    """Refuse a zip-based Office file that is damaged, encrypted or a zip bomb.

    First the central directory is read with :mod:`zipfile` and the
    declared sizes are checked, which refuses ordinary zip bombs without
    decompressing anything. Then, because the declared sizes can lie and
    :mod:`zipfile` decompresses a whole entry in one call when a parser reads
    it (truncating only afterwards), every compressed entry is decompressed
    once in 64 KiB steps and refused as soon as it produces more than its
    declared size. Memory stays bounded and the work is bounded by
    ``max_total``.

    :param data: The raw file content.
    :param max_total: Largest allowed sum of the entries' unpacked sizes,
        in bytes.
    :param max_ratio: Largest allowed ratio of unpacked to packed size, for
        entries of at least :data:`RATIO_CHECK_MIN_SIZE` unpacked bytes.
    :param max_entries: Largest allowed number of entries.
    :param kind: ``"docx"`` or ``"xlsx"``: the kind of file the messages name.
    :raise DocumentError: If the file is empty, an OLE2 (encrypted Office or
        legacy ``.doc``) file, not a readable zip, has encrypted entries or an
        unsupported compression method, or exceeds one of the limits.
    """
    encrypted_or_old, not_zip = _NOT_ZIP[kind]
    if not data:
        raise DocumentError("The file is empty.")
    if data.startswith(OLE2_MAGIC):
        raise DocumentError(encrypted_or_old)
    if zip_entry_count_bound(data) > max_entries:
        raise _too_many_entries(max_entries)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(not_zip) from exc
    if len(infos) > max_entries:
        raise _too_many_entries(max_entries)
    total = 0
    for info in infos:
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise DocumentError(
                "The file is password-protected; remove the password and try again."
            )
        if info.compress_type not in _SUPPORTED_COMPRESSION:
            raise DocumentError("The file uses an unsupported kind of compression.")
        if info.file_size >= RATIO_CHECK_MIN_SIZE and info.file_size > max_ratio * max(
            info.compress_size, 1
        ):
            raise DocumentError(
                "The file is compressed far more than a normal document"
                " (it looks like a zip bomb) and was refused."
            )
        total += info.file_size
        if total > max_total:
            raise DocumentError(
                f"The file would take more than {max_total // MB} MB once unpacked,"
                " which is too large."
            )
    for info in infos:
        if info.compress_type == zipfile.ZIP_DEFLATED:
            _verify_deflated_size(data, info, not_zip)


def _verify_deflated_size(data: bytes, info: zipfile.ZipInfo,
                          not_zip: str = _BAD_ZIP_MESSAGE) -> None:
    """Refuse a deflated entry that unpacks to more than its declared size.

    The raw deflate stream is located through the entry's local header and
    decompressed in bounded steps, so a lying entry is caught after at most
    ``info.file_size`` plus one step of output.
    """
    start = info.header_offset
    if data[start : start + 4] != b"PK\x03\x04" or start + _LOCAL_HEADER_SIZE > len(data):
        raise DocumentError(not_zip)
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    begin = start + _LOCAL_HEADER_SIZE + name_len + extra_len
    end = begin + info.compress_size
    if end > len(data):
        raise DocumentError(not_zip)
    raw = memoryview(data)[begin:end]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    position = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk = inflater.unconsumed_tail
            elif position < len(raw):
                chunk = raw[position : position + _STEP]
                position += _STEP
            else:
                break
            produced += len(inflater.decompress(chunk, _STEP))
            if produced > info.file_size:
                raise DocumentError(
                    "The file is damaged or malicious (a part is larger than it claims)."
                )
    except zlib.error as exc:
        raise DocumentError(not_zip) from exc


def _too_many_entries(max_entries: int) -> DocumentError:
    return DocumentError(
        f"The file contains more than {max_entries:,} parts, too many for a normal document."
    )


def _open(data: bytes) -> DocxDocument:
    """Check the zip, then open it with python-docx."""
    check_zip(data)
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:
        # python-docx reports bad input with many exception types
        # (PackageNotFoundError, KeyError, ValueError, lxml errors, BadZipFile,
        # ...), so anything raised while opening means "not a usable .docx".
        raise DocumentError(_NOT_WORD_MESSAGE) from exc


def _find(container: Any, tags: frozenset[str]) -> Iterator[Any]:
    """Yield descendants of ``container`` with one of ``tags``, in order.

    Wrapper elements such as content controls (``w:sdt``/``w:sdtContent``),
    ``w:customXml`` and tracked insertions are descended into; matching
    elements themselves, property elements and deleted content are not.
    """
    for child in container:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:  # comments, PIs, properties
            continue
        if tag in tags:
            yield child
        else:
            yield from _find(child, tags)


_BLOCK_TAGS = frozenset({_P, _TBL})
_RUN_TAGS = frozenset({_R})
_ROW_TAGS = frozenset({_TR})
_CELL_TAGS = frozenset({_TC})


def _paragraph_text(p: Any) -> str:
    """Return the text of the runs of a paragraph (``w:r`` text, tabs, breaks).

    Runs inside hyperlinks, fields, smart tags, inline content controls and
    tracked insertions are included; text boxes anchored in a run are not.
    """
    return "".join(_run_text(r) for r in _find(p, _RUN_TAGS))


def _style_id(p: Any) -> str | None:
    """Return a paragraph's style id (``w:pPr/w:pStyle/@w:val``), read directly."""
    properties = p.find(_PPR)
    style = properties.find(_PSTYLE) if properties is not None else None
    return style.get(_VAL) if style is not None else None


def _run_text(r: Any) -> str:
    """Return a run's text: ``w:t`` text, tabs, line breaks (not page or column breaks)."""
    parts = []
    for child in r:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _BR:
            if child.get(_BR_TYPE, "textWrapping") == "textWrapping":
                parts.append("\n")
        elif tag in _RUN_TEXT:
            parts.append(_RUN_TEXT[tag])
    return "".join(parts)


def _table_rows(tbl: Any) -> list[list[str]]:
    """Return the rows of a table as lists of cell texts."""
    return [[_cell_text(tc) for tc in _find(tr, _CELL_TAGS)] for tr in _find(tbl, _ROW_TAGS)]


def _table_text(tbl: Any) -> str:
    return "\n".join("\t".join(row) for row in _table_rows(tbl))


def _cell_text(tc: Any) -> str:
    return "\n".join(text for text in _block_texts(tc) if text.strip())


def _block_texts(container: Any) -> Iterator[str]:
    """Yield the text of each paragraph and table of ``container``, in order."""
    for element in _find(container, _BLOCK_TAGS):
        if element.tag == _P:
            yield _paragraph_text(element)
        else:
            yield _table_text(element)


def _header_footer_elements(doc: DocxDocument) -> Iterator[Any]:
    """Yield the root elements of the header then footer parts, per section."""
    related = doc.part.related_parts
    seen: set[str] = set()
    for sect_pr in doc.element.body.iter(_SECT_PR):
        for ref_tag in (_HEADER_REF, _FOOTER_REF):
            for ref in sect_pr.iterchildren(ref_tag):
                r_id = ref.get(_R_ID)
                part = related.get(r_id) if r_id else None
                element = getattr(part, "element", None)
                if element is None or str(part.partname) in seen:
                    continue
                seen.add(str(part.partname))
                yield element


def extract_text(data: bytes) -> str:
    """Return all the text of a Word document in document order.

    Body paragraphs and tables come first, interleaved as they appear, with
    nested tables read recursively; then the headers and footers of each
    section, without repeats. See the module documentation for the exact
    layout (``"\\n"`` between paragraphs and rows, ``"\\t"`` between cells).

    :param data: The raw ``.docx`` content.
    :return: The text; ``""`` for a document without text.
    :raise DocumentError: If the file is refused by :func:`check_zip` or
        cannot be read as a Word document.
    """
    doc = _open(data)
    try:
        lines = [text for text in _block_texts(doc.element.body) if text.strip()]
        seen: set[str] = set()
        for element in _header_footer_elements(doc):
            text = "\n".join(t for t in _block_texts(element) if t.strip())
            if text and text not in seen:
                seen.add(text)
                lines.append(text)
    except Exception as exc:
        raise DocumentError(_READ_FAILED_MESSAGE) from exc
    return "\n".join(lines)


def _heading_level(style_name: str) -> int | None:
    """Return 0 for "Title", N for "Heading N", else ``None``."""
    name = style_name.strip()
    if name.lower() == "title":
        return 0
    match = _HEADING_RE.fullmatch(name)
    return int(match.group(1)) if match else None


def _paragraph_style_names(doc: DocxDocument) -> tuple[dict[str, str], str]:
    """Map paragraph style ids to style names, and find the default name."""
    names: dict[str, str] = {}
    for style in doc.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH and style.style_id:
            names[style.style_id] = style.name or style.style_id
    default = doc.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    default_name = (default.name if default is not None else None) or "Normal"
    return names, default_name


def _blocks(doc: DocxDocument) -> Iterator[Block]:
    try:
        names, default_name = _paragraph_style_names(doc)
        for element in _find(doc.element.body, _BLOCK_TAGS):
            if element.tag == _TBL:
                yield ("table", _table_rows(element))
                continue
            text = _paragraph_text(element)
            if not text.strip():
                continue
            style_id = _style_id(element)
            style_name = names.get(style_id, style_id) if style_id else default_name
            level = _heading_level(style_name)
            if level is None:
                yield ("paragraph", style_name, text)
            else:
                yield ("heading", level, text)
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(_READ_FAILED_MESSAGE) from exc


def iter_blocks(data: bytes) -> Iterator[Block]:
    """Iterate over the body of a Word document as structured blocks.

    Blocks come in document order and are one of:

    -   ``("heading", level, text)`` for a paragraph styled "Title" (level 0)
        or "Heading N" (level N);
    -   ``("paragraph", style_name, text)`` for any other paragraph;
    -   ``("table", rows)`` where ``rows`` is a ``list[list[str]]`` of cell
        texts; a nested table is flattened into its cell's text as described
        in the module documentation.

    Empty paragraphs are skipped; tables are always yielded. Headers and
    footers are not included.

    The file is checked and opened before this returns, so a bad file raises
    here rather than on the first iteration.

    :param data: The raw ``.docx`` content.
    :raise DocumentError: If the file is refused or cannot be read, either
        when called or while iterating.
    """
    return _blocks(_open(data))


def first_heading(data: bytes) -> str | None:
    """Return the text of the first Title or Heading paragraph, if any.

    :param data: The raw ``.docx`` content.
    :raise DocumentError: If the file is refused or cannot be read.
    """
    for block in iter_blocks(data):
        if block[0] == "heading":
            return block[2]
    return None
