"""Write the hostile (and a few friendly) .docx files used by the reader tests.

Run ``python tests/data/make_hostile.py`` to (re)create them next to this
script, or call :func:`make_all` with another folder. The output is
deterministic except for timestamps inside the zip archives.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION

MB = 1024 * 1024

#: Paragraphs of unicode.docx, one per line of the extracted text.
UNICODE_PARAGRAPHS: list[str] = [
    "Latin: Ça va? Déjà vu, naïve façade, Straße, Øre, Łódź.",
    "Greek: Καλημέρα κόσμε, ΑΒΓΔ αβγδ.",
    "Cyrillic: Привет, мир! Ёлка, Україна, Беларусь.",
    "Arabic: \u200fمرحبا بالعالم\u200f ١٢٣",
    "Hebrew: \u202bשלום עולם\u202c",
    "Devanagari: नमस्ते दुनिया, हिन्दी।",
    "CJK: 你好，世界。日本語のテキスト。한국어 텍스트. 𠀀𠀁",
    "Emoji: 😀 👩\u200d💻 🇬🇧 👍🏽 ❤\ufe0f",
    "Marks: \u200eleft-to-right\u200e \u200fright-to-left\u200f a\u0301 e\u0308 zero\u200bwidth",
]

#: Text extract_text must return for nested.docx.
NESTED_TEXT = "\n".join(
    [
        "Nested Document",
        "Intro paragraph.",
        "Outer A\tOuter B",
        "Inner 1\tInner 2",
        "Inner 3\tInner 4",
        "Outer C\tOuter D",
        "Section Two",
        "After the table.",
        "Header text",
        "Footer text",
    ]
)

BIG_TABLE_ROWS = 10_000
BIG_TABLE_COLS = 4
ZIPBOMB_SIZE = 300 * MB

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.'
    b'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def _save(document: DocxDocument, path: Path) -> None:
    document.save(str(path))


def make_good(path: Path) -> None:
    """A small, ordinary document with a title, headings and a table."""
    d = docx.Document()
    d.add_heading("Learning and Improvement Index", level=0)
    d.add_heading("Introduction", level=1)
    d.add_paragraph("This document lists what we learned this year.")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([["Topic", "Owner"], ["Safety", "Ward 3"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    d.add_heading("Actions", level=2)
    d.add_paragraph("Review the handover checklist.", style="List Bullet")
    _save(d, path)


def make_nested(path: Path) -> None:
    """Body paragraphs, headings, a table holding a nested table, header, footer."""
    d = docx.Document()
    d.add_heading("Nested Document", level=1)
    d.add_paragraph("Intro paragraph.")
    outer = d.add_table(rows=2, cols=2)
    outer.cell(0, 0).text = "Outer A"
    cell = outer.cell(0, 1)
    cell.text = "Outer B"
    inner = cell.add_table(rows=2, cols=2)
    for r, row in enumerate([["Inner 1", "Inner 2"], ["Inner 3", "Inner 4"]]):
        for c, text in enumerate(row):
            inner.cell(r, c).text = text
    outer.cell(1, 0).text = "Outer C"
    outer.cell(1, 1).text = "Outer D"
    d.add_heading("Section Two", level=2)
    d.add_paragraph("After the table.")
    section = d.sections[0]
    section.header.paragraphs[0].text = "Header text"
    section.footer.paragraphs[0].text = "Footer text"
    # A second section linked to the first: its header/footer must not repeat.
    d.add_section(WD_SECTION.CONTINUOUS)
    _save(d, path)


def make_unicode(path: Path) -> None:
    """Paragraphs in many scripts, with emoji, combining and bidi marks."""
    d = docx.Document()
    for text in UNICODE_PARAGRAPHS:
        d.add_paragraph(text)
    _save(d, path)


def make_big_table(path: Path, rows: int = BIG_TABLE_ROWS) -> None:
    """A real document with one table of ``rows`` rows and 4 columns."""
    d = docx.Document()
    d.add_paragraph("Big table follows.")
    table = d.add_table(rows=0, cols=BIG_TABLE_COLS)
    for r in range(rows):
        cells = table.add_row().cells
        cells[0].text = f"Row {r}"
        cells[1].text = f"Item {r * 7 % 1000} of batch {r // 100}"
        cells[2].text = f"{r * 3.14159:.2f}"
        cells[3].text = "done" if r % 3 else "pending review"
    d.add_paragraph("Big table ends.")
    _save(d, path)


def make_empty(path: Path) -> None:
    """A 0 byte file."""
    path.write_bytes(b"")


def make_truncated(path: Path) -> None:
    """A real .docx cut in half (the end of central directory record is lost)."""
    tmp = path.with_suffix(".tmp")
    make_good(tmp)
    data = tmp.read_bytes()
    tmp.unlink()
    path.write_bytes(data[: len(data) // 2])


def make_not_word(path: Path) -> None:
    """A valid zip archive that has no ``word/document.xml``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "This is a zip archive, not a Word document.\n")
        zf.writestr("data/values.csv", "a,b\n1,2\n")


def _minimal_pdf() -> bytes:
    """Return a small but well-formed one page PDF."""
    stream = b"BT /F1 24 Tf 72 720 Td (Hello PDF) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_pdf_named(path: Path) -> None:
    """A small PDF saved under a .docx name."""
    path.write_bytes(_minimal_pdf())


def make_encrypted(path: Path) -> None:
    """An OLE2 compound file header followed by junk.

    Word saves password-protected .docx files (and old .doc files) as OLE2
    compound files, which start with these 8 magic bytes.
    """
    magic = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    junk = bytes((i * 37 + 11) % 256 for i in range(4096))
    path.write_bytes(magic + junk)


def make_zipbomb(path: Path, size: int = ZIPBOMB_SIZE) -> None:
    """A docx-shaped zip whose ``word/document.xml`` unpacks to ``size`` zero bytes.

    The entry is written in 1 MB chunks through :meth:`zipfile.ZipFile.open`,
    so making it needs little memory; the file is well under 1 MB.
    """
    chunk = bytes(MB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w") as entry:
            for _ in range(size // MB):
                entry.write(chunk)
            entry.write(bytes(size % MB))


MAKERS: dict[str, Callable[[Path], None]] = {
    "empty.docx": make_empty,
    "truncated.docx": make_truncated,
    "not_word.docx": make_not_word,
    "pdf_named.docx": make_pdf_named,
    "encrypted.docx": make_encrypted,
    "zipbomb.docx": make_zipbomb,
    "big_table.docx": make_big_table,
    "unicode.docx": make_unicode,
    "nested.docx": make_nested,
    "good.docx": make_good,
}


def make_all(folder: Path | str) -> dict[str, Path]:
    """Write every test file into ``folder``.

    :param folder: Where to write; created if missing.
    :return: The written paths, keyed by file name.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in MAKERS.items():
        path = folder / name
        make(path)
        paths[name] = path
    return paths


def main() -> None:
    """Write the files next to this script and print their sizes."""
    for name, path in make_all(Path(__file__).resolve().parent).items():
        print(f"{name:16} {path.stat().st_size:>10,} bytes", file=sys.stdout)


if __name__ == "__main__":
    main()
