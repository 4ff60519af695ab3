"""Detect the type of an uploaded file from its content.

The file name's extension is only a claim: :func:`sniff_media_type` looks at
the bytes (magic numbers, and for zip-based Office files the names inside the
zip) and refuses the file unless the content is an accepted type *and*
matches the extension.
"""

from __future__ import annotations

import io
import struct
import zipfile

from .errors import DocumentError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CSV = "text/csv"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"

#: Accepted file name extensions (lower case, without the dot) and the
#: canonical media type that the file's content must have.
ALLOWED_EXTENSIONS: dict[str, str] = {
    "docx": DOCX,
    "pdf": PDF,
    "xlsx": XLSX,
    "csv": CSV,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "gif": GIF,
}

#: How each media type is named in user-facing messages.
_DESCRIPTIONS: dict[str, str] = {
    DOCX: "a Word document",
    XLSX: "an Excel workbook",
    PDF: "a PDF document",
    CSV: "a text (CSV) file",
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    GIF: "a GIF image",
}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF-"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_GIF_MAGICS = (b"GIF87a", b"GIF89a")

_EOCD_SIGNATURE = b"PK\x05\x06"
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF

_ACCEPTED = "upload a Word, PDF, Excel, CSV, PNG, JPEG or GIF file"
_OLE2_MESSAGE = (
    "The file is password-protected or in the old .doc format;"
    " save it as an unprotected .docx and try again."
)
_OLE2_WORKBOOK_MESSAGE = (
    "The file is password-protected or in the old .xls format;"
    " save it as an unprotected .xlsx and try again."
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: The one encoding rule for text (CSV) files: UTF-8, with or without a byte order mark.
#: Nothing is guessed: Windows-1252 and Mac Roman give the same bytes different letters, and
#: a name read wrongly is worse than a file refused with a way to fix it.
NOT_UTF8_MESSAGE = (
    'The file is not UTF-8 text: in Excel, save it as "CSV UTF-8 (Comma delimited)", '
    "or upload the workbook (.xlsx) itself."
)


def zip_entry_count_bound(data: bytes) -> int:
    """Return an upper bound on the number of entries in a zip archive.

    This is a cheap pre-check done before :class:`zipfile.ZipFile` builds a
    :class:`zipfile.ZipInfo` for every entry, so that an archive with a huge
    central directory is refused without allocating for each entry. It counts
    central directory signatures between the start of the central directory
    and the end record, which can only over-count (never under-count).

    :param data: The raw file content.
    :return: The bound, or 0 if no end of central directory record is found
        (:mod:`zipfile` will then refuse the archive itself).
    """
    eocd = data.rfind(_EOCD_SIGNATURE, max(0, len(data) - _EOCD_SIZE - _MAX_COMMENT))
    if eocd < 0 or eocd + _EOCD_SIZE > len(data):
        return 0
    cd_size = struct.unpack_from("<L", data, eocd + 12)[0]
    # Zip64 archives store 0xFFFFFFFF here; counting the whole file is still a bound.
    start = max(0, eocd - cd_size) if cd_size != 0xFFFFFFFF else 0
    return data.count(_CENTRAL_SIGNATURE, start, eocd)


def _zip_media_type(data: bytes) -> str | None:
    """Tell a Word document from an Excel workbook by the names in the zip."""
    if zip_entry_count_bound(data) > 10_000:
        raise DocumentError("The file contains too many parts to be a normal document.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DocumentError(
            "The file is damaged or incomplete (it is not a valid zip archive)."
        ) from exc
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_text(data: bytes) -> bool:
    """Whether the content is UTF-8 text without NUL bytes (a CSV candidate)."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(data: bytes, expected: str | None = None) -> str | None:
    """Return the media type the content looks like, or ``None``."""
    if data.startswith(OLE2_MAGIC):
        raise DocumentError(_OLE2_WORKBOOK_MESSAGE if expected == XLSX else _OLE2_MESSAGE)
    if data.startswith(_PDF_MAGIC):
        return PDF
    if data.startswith(_PNG_MAGIC):
        return PNG
    if data.startswith(_JPEG_MAGIC):
        return JPEG
    if data.startswith(_GIF_MAGICS):
        return GIF
    if data.startswith(ZIP_MAGIC):
        return _zip_media_type(data)
    if _is_text(data):
        return CSV
    return None


def _extension(filename: str) -> str:
    """Return the lower-case extension of ``filename`` without the dot."""
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in name:
        return ""
    return name.rsplit(".", 1)[1].strip().lower()


def _shown(ext: str) -> str:
    """Return the extension for a message, or a neutral word if it looks odd."""
    if ext.isascii() and ext.isalnum() and len(ext) <= 10:
        return f".{ext}"
    return "this type"


def sniff_media_type(data: bytes, filename: str) -> str:
    """Detect the media type of an upload from its content.

    The content is identified by its magic bytes: ``%PDF-``, the PNG, JPEG and
    GIF signatures, and for zip archives the presence of ``word/document.xml``
    (``.docx``) or ``xl/workbook.xml`` (``.xlsx``). Content that is UTF-8 text
    without NUL bytes counts as CSV (other text is refused with
    :data:`NOT_UTF8_MESSAGE`). The detected type must be the one that
    :data:`ALLOWED_EXTENSIONS` gives for the file name's extension.

    Only the zip central directory is read; nothing is decompressed. Call
    :func:`documents.reader.check_zip` before parsing an Office file.

    :param data: The raw file content.
    :param filename: The name the file was uploaded with.
    :return: The canonical media type, for example ``"application/pdf"``.
    :raise DocumentError: If the file is empty, its extension is not
        accepted, its content is not an accepted type, or the content does
        not match the extension.
    """
    if not data:
        raise DocumentError("The file is empty.")
    ext = _extension(filename)
    if not ext:
        raise DocumentError(f"The file name has no extension; {_ACCEPTED}.")
    expected = ALLOWED_EXTENSIONS.get(ext)
    if expected is None:
        raise DocumentError(f"Files of type {_shown(ext)} are not accepted; {_ACCEPTED}.")
    detected = _detect(data, expected)
    if detected == expected:
        return detected
    wanted = _DESCRIPTIONS[expected]
    if expected == CSV and detected is None and (
            b"\x00" not in data or data.startswith(_UTF16_BOMS)):
        raise DocumentError(NOT_UTF8_MESSAGE)
    if detected is None:
        raise DocumentError(f"The file is named {_shown(ext)} but its content is not {wanted}.")
    raise DocumentError(
        f"The file is named {_shown(ext)} but it is actually {_DESCRIPTIONS[detected]}."
    )
