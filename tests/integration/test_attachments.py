"""Attachments: checked by content, stored in GridFS with their text, downloads on record."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import docx
import pytest

from lif.models import Attachment, AuditEvent

from .. import factories as f
from ..conftest import AuthActions, make_user

DATA = Path(__file__).resolve().parents[1] / "data"
HOSTILE = ["empty.docx", "truncated.docx", "not_word.docx", "pdf_named.docx", "encrypted.docx",
           "zipbomb.docx"]


def word_file(text: str) -> bytes:
    document = docx.Document()
    document.add_heading("Learning brief", 1)
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "interpreters"
    table.cell(0, 1).text = "table text"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def upload(client, item, name, data, published=False):
    token = AuthActions(client).csrf("/admin/")
    form = {"csrf_token": token, "id": str(item.pk), "file": (io.BytesIO(data), name)}
    if published:
        form["published"] = "1"
    return client.post(f"/admin/{item.type_key}/attach/", data=form,
                       content_type="multipart/form-data", follow_redirects=True)


def test_word_upload_stores_file_checksum_and_text(client):
    review = f.make_review()
    AuthActions(client).login()
    data = word_file("Bruising in non-mobile babies must be referred.")
    page = upload(client, review, "brief.docx", data).get_data(as_text=True)
    assert "Attached" in page
    stored = Attachment.objects.get(item_id=str(review.pk))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.media_type.endswith("wordprocessingml.document")
    assert "Bruising in non-mobile babies" in stored.text and "table text" in stored.text
    assert AuditEvent.objects(action="attach", object_id=str(review.pk)).count() == 1


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_and_nothing_is_stored(client, name):
    review = f.make_review()
    AuthActions(client).login()
    page = upload(client, review, name, (DATA / name).read_bytes()).get_data(as_text=True)
    assert "Not attached" in page
    assert Attachment.objects.count() == 0
    from lif.db import database

    assert database()["files.files"].count_documents({}) == 0


def test_download_keeps_name_and_type_and_is_recorded(client):
    review = f.make_review()
    AuthActions(client).login()
    data = word_file("text")
    upload(client, review, "Child T report.docx", data)
    attachment = Attachment.objects.get()
    response = client.get(f"/admin/file/{attachment.pk}")
    assert response.status_code == 200
    assert response.data == data
    assert "Child T report.docx" in response.headers["Content-Disposition"]
    assert response.mimetype == attachment.media_type
    assert AuditEvent.objects(action="download").count() == 1


def test_download_of_an_item_the_user_may_not_see_is_forbidden(client):
    referral = f.make_referral()
    AuthActions(client).login()
    upload(client, referral, "ciginf1.docx", word_file("secret"))
    attachment = Attachment.objects.get()
    AuthActions(client).logout()
    AuthActions(client).login(make_user("lead", "police").email)
    assert client.get(f"/admin/file/{attachment.pk}").status_code == 403


def test_upload_over_the_size_limit_is_refused_before_reading(app, client):
    f.make_review()
    AuthActions(client).login()
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/admin/review/attach/", data=b"x" * (limit + 1),
                           headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 413
    assert Attachment.objects.count() == 0


def test_png_named_png_is_accepted_and_exe_named_png_refused(client):
    review = f.make_review()
    AuthActions(client).login()
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                        "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4590000000049454e44ae426082")
    assert "Attached" in upload(client, review, "chart.png", png).get_data(as_text=True)
    page = upload(client, review, "tool.png", b"MZ\x90\x00" + b"\x00" * 100).get_data(
        as_text=True)
    assert "Not attached" in page
    assert Attachment.objects.count() == 1


def test_page_lists_attachments_with_download_links(client):
    review = f.make_review()
    AuthActions(client).login()
    upload(client, review, "brief.docx", word_file("x"))
    page = client.get(f"/admin/review/details/?id={review.pk}").get_data(as_text=True)
    assert re.search(r'href="/admin/file/[0-9a-f]{24}">brief.docx</a>', page)
