"""The JSON API door: ``/api/v1`` with bearer tokens, over the same services as the admin."""

from __future__ import annotations

from flask import Flask

from admin import csrf

from .v1 import bp as v1_bp


def init_api(app: Flask) -> None:
    """Register the API on ``app``.

    The API is exempt from CSRF because it never reads the session cookie: its only
    credential is the ``Authorization: Bearer`` header, which a browser does not send on its
    own to another site's request.
    """
    app.register_blueprint(csrf.exempt(v1_bp))


__all__ = ["init_api"]
