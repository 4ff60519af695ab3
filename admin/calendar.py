"""The private calendar feed: ``/calendar/<token>.ics``.

The one page outside "login required": calendar programs cannot sign in, so the secret token
in the address is the credential. An unknown or revoked token is simply "not found".
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from lif.services import calendar

bp = Blueprint("calendar", __name__)


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)
    body = calendar.feed(user, base_url=request.url_root)
    response = Response(body, mimetype="text/calendar")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="lif.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
