"""Tests for documents.reader and documents.filetypes against hostile files."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from documents.errors import DocumentError
from documents.filetypes import (
    ALLOWED_EXTENSIONS,
    CSV,
    DOCX,
    GIF,
    JPEG,
    PDF,
    PNG,
    XLSX,
    sniff_media_type,
)
from documents.reader import check_zip, extract_text, first_heading, iter_blocks
from tests.data.make_hostile import (
    BIG_TABLE_COLS,
    BIG_TABLE_ROWS,
    MAKERS,
    NESTED_TEXT,
    UNICODE_PARAGRAPHS,
    make_all,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MB = 1024 * 1024
MEMORY_LIMIT = 300 * MB

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the test files; generated into a temp dir if missing."""
    if all((DATA / name).is_file() for name in MAKERS):
        return DATA
    folder = tmp_path_factory.mktemp("hostile")
    make_all(folder)
    return folder


def read(data_dir: Path, name: str) -> bytes:
    return (data_dir / name).read_bytes()


def docx_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    """Return a copy of the zip ``data`` with entry ``name`` replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = content if info.filename == name else src.read(info)
            dst.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def assert_clear_message(error: DocumentError) -> None:
    message = str(error)
    assert message
    assert "\n" not in message
    assert message[0].isupper()
    assert message.endswith(".")


# -- Hostile files ------------------------------------------------------------


HOSTILE = {
    "empty.docx": "The file is empty.",
    "truncated.docx": "not a valid .docx zip",
    "not_word.docx": "not a Word document",
    "pdf_named.docx": "not a Word document",
    "encrypted.docx": "password-protected or in the old .doc format",
    "zipbomb.docx": "zip bomb",
}


@pytest.mark.parametrize(("name", "expected"), HOSTILE.items())
@pytest.mark.parametrize("reader", [extract_text, iter_blocks, first_heading])
def test_hostile_file_refused(data_dir, name, expected, reader):
    with pytest.raises(DocumentError, match=expected) as info:
        reader(read(data_dir, name))
    assert_clear_message(info.value)


def test_generated_files_are_small(data_dir):
    for name in MAKERS:
        assert (data_dir / name).stat().st_size <= 2 * MB, name
    assert (data_dir / "zipbomb.docx").stat().st_size < MB
    with zipfile.ZipFile(data_dir / "zipbomb.docx") as zf:
        assert zf.getinfo("word/document.xml").file_size >= 300 * MB


def test_zipbomb_refused_by_total_size_too(data_dir):
    with pytest.raises(DocumentError, match="more than 200 MB once unpacked") as info:
        check_zip(read(data_dir, "zipbomb.docx"), max_ratio=10**9)
    assert_clear_message(info.value)


def test_too_many_entries():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(20):
            zf.writestr(f"part{i}.xml", b"<a/>")
    check_zip(out.getvalue(), max_entries=20)
    with pytest.raises(DocumentError, match="more than 10 parts") as info:
        check_zip(out.getvalue(), max_entries=10)
    assert_clear_message(info.value)


def test_encrypted_zip_entry_refused(data_dir):
    data = bytearray(read(data_dir, "good.docx"))
    # Set the "encrypted" flag bit on every central directory entry.
    start = 0
    while (pos := data.find(b"PK\x01\x02", start)) >= 0:
        data[pos + 8] |= 0x1
        start = pos + 4
    with pytest.raises(DocumentError, match="password-protected") as info:
        extract_text(bytes(data))
    assert_clear_message(info.value)


def test_unsupported_compression_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("word/document.xml", b"<x/>")
    with pytest.raises(DocumentError, match="unsupported kind of compression"):
        extract_text(out.getvalue())


def test_entry_lying_about_its_size_cannot_expand(data_dir):
    """A central directory that understates a size is not a way around the limits."""
    big = bytes(20 * MB)
    data = bytearray(replace_entry(read(data_dir, "good.docx"), "word/document.xml", big))
    pos = -1
    patched = False
    while (pos := data.find(b"PK\x01\x02", pos + 1)) >= 0:
        name_len = int.from_bytes(data[pos + 28 : pos + 30], "little")
        if data[pos + 46 : pos + 46 + name_len] == b"word/document.xml":
            data[pos + 24 : pos + 28] = (1000).to_bytes(4, "little")
            patched = True
    assert patched
    tracemalloc.start()
    try:
        with pytest.raises(DocumentError, match="larger than it claims") as info:
            extract_text(bytes(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_clear_message(info.value)
    assert peak < 10 * MB


def test_malformed_xml_refused(data_dir):
    data = replace_entry(read(data_dir, "good.docx"), "word/document.xml", b"<w:document><oops")
    with pytest.raises(DocumentError, match="not a Word document") as info:
        extract_text(data)
    assert_clear_message(info.value)
    assert info.value.__cause__ is not None


def test_xml_entities_not_expanded(data_dir):
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "AAAAAAAAAA">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = replace_entry(read(data_dir, "good.docx"), "word/document.xml", xml)
    try:
        text = extract_text(data)
    except DocumentError:
        return
    assert "AAAAAAAAAA" not in text


def test_xlsx_is_not_a_word_document():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "hello"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(DocumentError, match="not a Word document"):
        extract_text(buffer.getvalue())


# -- Extraction ---------------------------------------------------------------


def test_empty_document_gives_empty_text():
    data = docx_bytes(docx.Document())
    assert extract_text(data) == ""
    assert list(iter_blocks(data)) == []
    assert first_heading(data) is None


def test_unicode(data_dir):
    assert extract_text(read(data_dir, "unicode.docx")) == "\n".join(UNICODE_PARAGRAPHS)


def test_big_table(data_dir):
    lines = extract_text(read(data_dir, "big_table.docx")).split("\n")
    assert len(lines) == BIG_TABLE_ROWS + 2
    assert lines[0] == "Big table follows."
    assert lines[1] == "Row 0\tItem 0 of batch 0\t0.00\tpending review"
    assert lines[-2].startswith(f"Row {BIG_TABLE_ROWS - 1}\t")
    assert lines[-1] == "Big table ends."
    blocks = list(iter_blocks(read(data_dir, "big_table.docx")))
    assert [b[0] for b in blocks] == ["paragraph", "table", "paragraph"]
    rows = blocks[1][1]
    assert len(rows) == BIG_TABLE_ROWS
    assert all(len(row) == BIG_TABLE_COLS for row in rows)


def test_nested_document_order(data_dir):
    assert extract_text(read(data_dir, "nested.docx")) == NESTED_TEXT


def test_nested_blocks(data_dir):
    data = read(data_dir, "nested.docx")
    assert list(iter_blocks(data)) == [
        ("heading", 1, "Nested Document"),
        ("paragraph", "Normal", "Intro paragraph."),
        (
            "table",
            [
                ["Outer A", "Outer B\nInner 1\tInner 2\nInner 3\tInner 4"],
                ["Outer C", "Outer D"],
            ],
        ),
        ("heading", 2, "Section Two"),
        ("paragraph", "Normal", "After the table."),
    ]
    assert first_heading(data) == "Nested Document"


def test_good_document(data_dir):
    data = read(data_dir, "good.docx")
    assert first_heading(data) == "Learning and Improvement Index"
    blocks = list(iter_blocks(data))
    assert blocks[0] == ("heading", 0, "Learning and Improvement Index")
    assert blocks[1] == ("heading", 1, "Introduction")
    assert ("table", [["Topic", "Owner"], ["Safety", "Ward 3"]]) in blocks
    assert blocks[-1] == ("paragraph", "List Bullet", "Review the handover checklist.")


def test_no_heading_gives_none():
    document = docx.Document()
    document.add_paragraph("Just text.")
    assert first_heading(docx_bytes(document)) is None


def test_content_controls_and_tracked_changes():
    document = docx.Document()
    document.add_paragraph("First.")
    body = document.element.body
    w = nsdecls("w")
    body.insert(
        len(body) - 1,
        parse_xml(
            f"<w:sdt {w}><w:sdtPr/><w:sdtContent>"
            "<w:p><w:r><w:t>In a content control.</w:t></w:r></w:p>"
            "</w:sdtContent></w:sdt>"
        ),
    )
    body.insert(
        len(body) - 1,
        parse_xml(
            f"<w:p {w}><w:r><w:t xml:space='preserve'>Kept </w:t></w:r>"
            "<w:del><w:r><w:delText>removed </w:delText></w:r></w:del>"
            "<w:ins><w:r><w:t xml:space='preserve'>added </w:t></w:r></w:ins>"
            "<w:hyperlink><w:r><w:t>link</w:t></w:r></w:hyperlink>"
            "<w:r><w:tab/><w:t>end</w:t></w:r></w:p>"
        ),
    )
    text = extract_text(docx_bytes(document))
    assert text == "First.\nIn a content control.\nKept added link\tend"


def test_run_text_reads_breaks_tabs_and_hyphens_as_python_docx_does():
    document = docx.Document()
    w = nsdecls("w")
    paragraph = parse_xml(
        f"<w:p {w}><w:r><w:t>Line one</w:t><w:br/><w:t>line two</w:t>"
        "<w:br w:type='page'/><w:t>after page</w:t><w:br w:type='textWrapping'/>"
        "<w:t>wrapped</w:t><w:cr/><w:t>x</w:t><w:ptab/><w:t>y</w:t><w:tab/>"
        "<w:t>non</w:t><w:noBreakHyphen/><w:t>breaking</w:t><w:t/></w:r></w:p>"
    )
    body = document.element.body
    body.insert(len(body) - 1, paragraph)
    expected = document.paragraphs[-1].text
    assert expected == "Line one\nline twoafter page\nwrapped\nx\ty\tnon-breaking"
    assert extract_text(docx_bytes(document)) == expected
    assert list(iter_blocks(docx_bytes(document)))[-1][2] == expected


def test_round_trip_through_bytesio():
    document = docx.Document()
    document.add_heading("Round Trip", level=1)
    document.add_paragraph("Saved to memory and read back.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "a"
    table.cell(0, 1).text = "b"
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    data = buffer.read()
    assert extract_text(data) == "Round Trip\nSaved to memory and read back.\na\tb"
    assert first_heading(data) == "Round Trip"
    assert sniff_media_type(data, "round-trip.docx") == DOCX


# -- Sniffing -----------------------------------------------------------------


def test_sniff_accepts(data_dir):
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sniff_media_type(read(data_dir, "good.docx"), "good.docx") == DOCX
    assert sniff_media_type(read(data_dir, "good.docx"), "C:\\Users\\x\\GOOD.DOCX") == DOCX
    assert sniff_media_type(buffer.getvalue(), "book.xlsx") == XLSX
    assert sniff_media_type(read(data_dir, "pdf_named.docx"), "real.pdf") == PDF
    assert sniff_media_type(PNG_BYTES, "pixel.png") == PNG
    assert sniff_media_type(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.jpg") == JPEG
    assert sniff_media_type(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.jpeg") == JPEG
    assert sniff_media_type(b"GIF89a\x01\x00\x01\x00", "anim.gif") == GIF
    assert sniff_media_type(b"name,score\nZo\xc3\xab,3\n", "scores.csv") == CSV
    assert sniff_media_type(b"\xef\xbb\xbfa;b\r\n1;2\r\n", "excel.csv") == CSV
    assert set(ALLOWED_EXTENSIONS.values()) == {DOCX, XLSX, PDF, CSV, PNG, JPEG, GIF}


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        ("pdf_named.docx", "report.docx", "named .docx but it is actually a PDF document"),
        (EXE_BYTES, "cat.png", "named .png but its content is not a PNG image"),
        (EXE_BYTES, "setup.exe", "Files of type .exe are not accepted"),
        (b"a,b\n", "notes", "has no extension"),
        (b"", "empty.csv", "The file is empty."),
        ("empty.docx", "empty.docx", "The file is empty."),
        ("not_word.docx", "x.docx", "named .docx but its content is not a Word document"),
        ("good.docx", "x.xlsx", "named .xlsx but it is actually a Word document"),
        ("good.docx", "x.pdf", "named .pdf but it is actually a Word document"),
        ("truncated.docx", "x.docx", "not a valid zip archive"),
        ("encrypted.docx", "x.docx", "password-protected or in the old .doc format"),
        (PNG_BYTES, "x.docx", "named .docx but it is actually a PNG image"),
        (b"a,b\x00\n", "x.csv", "named .csv but its content is not a text (CSV) file"),
        (b"caf\xe9,1\n", "latin1.csv", "The file is not UTF-8 text"),
        ("caf\u00e9,1\n".encode("utf-16"), "utf16.csv", "The file is not UTF-8 text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "x.xlsx",
         "password-protected or in the old .xls format"),
        (b"just text\n", "fake.png", "named .png but it is actually a text (CSV) file"),
    ],
)
def test_sniff_refuses(data_dir, content, filename, expected):
    data = read(data_dir, content) if isinstance(content, str) else content
    with pytest.raises(DocumentError, match=re.escape(expected)) as info:
        sniff_media_type(data, filename)
    assert_clear_message(info.value)


# -- Memory -------------------------------------------------------------------


def _traced_peak(func, data: bytes) -> int:
    tracemalloc.start()
    try:
        try:
            func(data)
        except DocumentError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_big_table_tracemalloc(data_dir):
    assert _traced_peak(extract_text, read(data_dir, "big_table.docx")) < MEMORY_LIMIT


def test_memory_zipbomb_tracemalloc(data_dir):
    data = read(data_dir, "zipbomb.docx")
    assert _traced_peak(extract_text, data) < MEMORY_LIMIT
    assert _traced_peak(extract_text, data) < MB


_RSS_SCRIPT = """
import json, resource, sys
from documents.errors import DocumentError
from documents.reader import extract_text
data = open(sys.argv[1], "rb").read()
extract_text(open(sys.argv[2], "rb").read())  # warm up imports and caches
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    extract_text(data)
    refused = False
except DocumentError:
    refused = True
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"delta_kb": after - before, "refused": refused}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
@pytest.mark.parametrize(("name", "refused"), [("big_table.docx", False), ("zipbomb.docx", True)])
def test_memory_peak_rss(data_dir, name, refused):
    """tracemalloc does not see libxml2's allocations, so also check the real RSS peak."""
    result = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(data_dir / name), str(data_dir / "good.docx")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["refused"] is refused
    assert report["delta_kb"] * 1024 < MEMORY_LIMIT


def test_documents_does_not_import_flask():
    code = (
        "import sys, documents.reader, documents.filetypes, documents.errors;"
        "print('flask' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
