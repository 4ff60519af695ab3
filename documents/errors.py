"""Errors raised while checking or reading uploaded files."""

from __future__ import annotations


class DocumentError(Exception):
    """An uploaded file was refused or could not be read.

    This is the only error type the :mod:`documents` package raises for a bad
    file, whatever the underlying cause (wrong type, damaged zip, zip bomb,
    password protection, malformed XML, ...). Its message is a single
    user-facing sentence that can be shown as-is, for example::

        The file is not a Word document (it is not a valid .docx zip).

    The original low-level exception, if any, is kept as ``__cause__`` for
    logging.
    """
