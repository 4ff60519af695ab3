"""The protective headers on every answer: Flask-Talisman's, and no-store on what is private.

Flask-Talisman (maintained, Google's original) sets the Content-Security-Policy,
X-Frame-Options, X-Content-Type-Options, Referrer-Policy and Permissions-Policy, and HSTS on
HTTPS requests. The policy allows no inline script at all: every script is a file served by
LIF itself (LIF's own handlers are in ``admin/static/lif.js``), so an injected ``<script>`` or
``onerror=`` does not run even if escaping ever failed. Nothing may show LIF in a frame.
HTTPS itself is the job of the proxy in front of LIF (``force_https`` stays off).
"""

from __future__ import annotations

from flask import Flask, request
from flask_talisman import Talisman

talisman = Talisman()

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Bootstrap draws a few icons (the menu toggle, select arrows) as data: images in its CSS.
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {"browsing-topics": "()", "camera": "()", "microphone": "()",
                      "geolocation": "()", "payment": "()", "usb": "()"}
# Shared files that hold nothing personal: the browser may keep them.
CACHEABLE_ENDPOINTS = {"static", "admin.static"}


def init_headers(app: Flask) -> None:
    """Bind the headers to ``app`` (after its settings are loaded)."""
    talisman.init_app(
        app,
        force_https=False,
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        referrer_policy="same-origin",
        # Talisman writes these into the settings: pass LIF's own, unchanged.
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )

    @app.after_request
    def never_store_private_answers(response):
        # Pages, downloads, exports and feeds may hold personal data about children: no
        # browser or proxy cache keeps them (the back button after sign-out shows nothing).
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store, private"
            response.headers.pop("Expires", None)
        return response
