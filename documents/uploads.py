"""Check an uploaded file and extract its text before LIF stores anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

from lif.services.attachments import clean_file_name

from .errors import DocumentError
from .filetypes import DOCX, sniff_media_type
from .reader import extract_text

MB = 1024 * 1024


class Upload(Protocol):
    """What a door received (werkzeug's ``FileStorage``): a name and a stream."""

    filename: str | None
    stream: BinaryIO


def too_large_message(limit_mb: int, name: str = "") -> str:
    """The one message for an upload over the limit, naming the limit."""
    what = f"'{name}'" if name else "The file"
    return f"{what} is larger than the upload limit of {limit_mb} MB; nothing was stored."


def read_upload(upload: Upload, limit_mb: int) -> bytes:
    """Return the whole content of an upload, or refuse it when it is over the limit.

    Every door reads uploads here: a file one byte over the limit is refused, never cut to
    the limit and used (a 1.07 MB file of actions read as its first 1 MB stored 340 of 347).

    :param limit_mb: ``LIF_MAX_UPLOAD_MB``.
    :raises DocumentError: :func:`too_large_message`.
    """
    limit = limit_mb * MB
    chunks: list[bytes] = []
    size = 0
    while size <= limit:  # a stream may answer a read with less than asked before its end
        chunk = upload.stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise DocumentError(too_large_message(limit_mb, _clean_name(upload.filename)))
    return b"".join(chunks)


def _clean_name(name: str | None) -> str:
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


@dataclass(frozen=True)
class CheckedFile:
    name: str
    data: bytes
    media_type: str
    text: str


def check_upload(name: str, data: bytes) -> CheckedFile:
    """Refuse a file that is empty, not what its name says, or hostile; return it with its text.

    :raises DocumentError: with one sentence a person can act on.
    """
    name = _clean_name(name)
    if not name:
        raise DocumentError("The file has no name.")
    name = clean_file_name(name)  # no NUL or control character reaches a message or the store
    if not data:
        raise DocumentError(f"'{name}' is empty.")
    media_type = sniff_media_type(data, name)
    text = extract_text(data) if media_type == DOCX else ""
    return CheckedFile(name=name[:255], data=data, media_type=media_type, text=text)


__all__ = ["CheckedFile", "DocumentError", "check_upload", "read_upload", "too_large_message"]
