"""Headers and redirects: a strict Content-Security-Policy and the other protective headers on
every page, no-store on what a signed-in person sees, local redirects only, clean file names."""

from __future__ import annotations

import io
import re
import uuid
from urllib.parse import urljoin

import pytest

from lif.models import Attachment

from ..conftest import AuthActions
from .test_security import EXPECTED, methods_of, rules, url_of, world  # noqa: F401 - fixture

# Inline script in any form: a <script> without src, an on...= handler, a javascript: link
# that is followed. None may be in LIF's pages, or the policy would have to allow them.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)


def _directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def assert_protected(response, where: str, *, signed_in: bool) -> None:
    csp = _directives(response)
    assert csp, f"{where}: no Content-Security-Policy"
    script = csp.get("script-src") or csp.get("default-src", "")
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (where, script)
    assert csp.get("frame-ancestors") == "frame-ancestors 'none'", (where, csp)
    assert csp.get("object-src") == "object-src 'none'", (where, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("Referrer-Policy") in ("no-referrer", "same-origin"), where
    if signed_in:
        assert "no-store" in response.headers.get("Cache-Control", ""), where


def _signed_in_pages(app, world) -> list[str]:  # noqa: F811
    ids = {key: str(item.pk) for key, item in world.items()}
    pages = {page.format(**ids) for page in EXPECTED}
    for rule in rules(app):
        if "GET" in methods_of(rule) and not rule.rule.startswith(("/api/", "/static",
                                                                    "/admin/static")):
            pages.add(url_of(rule, world))
    return sorted(pages)


def test_every_signed_in_page_and_download_has_the_headers_and_no_inline_script(
        app, client, world):  # noqa: F811
    AuthActions(client).login()
    pages = _signed_in_pages(app, world)
    checked, inline = 0, []
    for page in pages:
        response = client.get(page)
        if response.status_code != 200:
            continue
        checked += 1
        assert_protected(response, page, signed_in=True)
        if response.mimetype == "text/html":
            text = response.get_data(as_text=True)
            inline += [(page, text[m.start() - 60:m.end() + 60])
                       for m in INLINE_SCRIPT.finditer(text)]
    assert checked > 40
    assert not inline, inline
    download = client.get(f"/admin/file/{world['attachment'].pk}")
    assert download.status_code == 200
    assert_protected(download, "download", signed_in=True)
    for export in ("/admin/review/export/csv/", "/admin/review/export/xlsx/"):
        assert_protected(client.get(export), export, signed_in=True)


@pytest.mark.parametrize("path", ["/login", "/published", "/healthz", "/forgot-password"])
def test_public_pages_have_the_headers_too(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_protected(response, path, signed_in=False)


def test_the_session_cookie_is_not_sent_to_other_sites_by_frames(client):
    # With frame-ancestors 'none' no other site can show LIF in a frame: checked above. A
    # signed-in page is never kept by a browser or proxy cache.
    AuthActions(client).login()
    response = client.get("/admin/")
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("target", ["//evil.example", "//evil.example/admin/",
                                    "https://evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)"])
def test_my_actions_never_redirects_off_site(client, world, target):  # noqa: F811
    AuthActions(client).login()
    action = world["action"]
    token = AuthActions(client).csrf("/admin/my_actions/")
    response = client.post("/admin/my_actions/update/", data={
        "csrf_token": token, "id": str(action.pk), "next": target, "progress": ""})
    assert response.status_code == 302
    location = response.headers["Location"]
    seen = re.sub(r"[\t\r\n]", "", location.replace("\\", "/"))
    assert urljoin("http://localhost/admin/my_actions/", seen).startswith(
        "http://localhost/"), location


def _upload(client, review, name: str, data: bytes):
    details = f"/admin/review/details/?id={review.pk}"
    token = AuthActions(client).csrf(details)
    return client.post("/admin/review/attach/", data={
        "csrf_token": token, "id": str(review.pk), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


@pytest.mark.parametrize("name, stored", [
    ("evil\x00.csv", "evil.csv"),
    ("notes\x01\x1f\x7f.csv", "notes.csv"),
    ("report\u202evsc.csv", "reportvsc.csv"),   # a right-to-left override hides the type
    ("  spaced   out .csv ", "spaced out .csv"),
])
def test_file_names_are_cleaned_before_they_are_stored(client, world, name, stored):  # noqa: F811
    AuthActions(client).login()
    review = world["review"]
    data = b"name,count\n" + uuid.uuid4().hex.encode() + b",1\n"
    response = _upload(client, review, name, data)
    assert response.status_code == 302
    attachment = Attachment.objects(item_id=str(review.pk), size=len(data)).first()
    assert attachment is not None, "not attached"
    assert attachment.name == stored
    download = client.get(f"/admin/file/{attachment.pk}")
    disposition = download.headers["Content-Disposition"]
    assert "\x00" not in disposition and "\u202e" not in disposition
    assert all(32 <= ord(ch) < 127 for ch in disposition), disposition
