"""The errors services raise; every door (view, API, CLI) turns them into a clear answer."""

from __future__ import annotations


class LIFError(Exception):
    """Base of the errors a person can be shown."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})
        if field and field not in self.errors:
            self.errors[field] = message


class InvalidInput(LIFError):
    """The input is wrong; ``errors`` maps field names to messages."""

    status = 400


class PermissionDenied(LIFError):
    status = 403


class NotFound(LIFError):
    status = 404


class Conflict(LIFError):
    """The item changed since the caller read it (an edit conflict), or a duplicate."""

    status = 409

    def __init__(self, message: str, *, current=None, **kwargs):
        super().__init__(message, **kwargs)
        self.current = current


class StorageFull(LIFError):
    """There is no room on the disk for this write: nothing was stored."""

    status = 503


class GuardFailed(LIFError):
    """A workflow guard refused a transition; the message says why."""

    status = 409
