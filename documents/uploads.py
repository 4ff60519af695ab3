"""Check an uploaded file and extract its text before LIF stores anything."""

from __future__ import annotations

from dataclasses import dataclass

from lif.services.attachments import clean_file_name

from .errors import DocumentError
from .filetypes import DOCX, sniff_media_type
from .reader import extract_text


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
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise DocumentError("The file has no name.")
    name = clean_file_name(name)  # no NUL or control character reaches a message or the store
    if not data:
        raise DocumentError(f"'{name}' is empty.")
    media_type = sniff_media_type(data, name)
    text = extract_text(data) if media_type == DOCX else ""
    return CheckedFile(name=name[:255], data=data, media_type=media_type, text=text)


__all__ = ["CheckedFile", "DocumentError", "check_upload"]
