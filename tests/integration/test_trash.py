"""Trash, restore and purge."""

from __future__ import annotations

import pytest

from lif.actors import SYSTEM
from lif.errors import PermissionDenied
from lif.models import Attachment, AuditEvent, Review, Version
from lif.services import attachments, content

from .. import factories as f
from ..conftest import AuthActions, make_user


def test_delete_moves_to_trash_and_admin_restores_with_versions_and_files(client):
    review = f.make_review()
    attachments.add(review, "a.pdf", b"%PDF-1.4 x", "application/pdf", "", SYSTEM)
    content.update(review, {"summary": "changed"}, SYSTEM, base_version=1)
    AuthActions(client).login()
    token = AuthActions(client).csrf("/admin/")
    response = client.post("/admin/review/delete/", data={"id": str(review.pk),
                                                          "csrf_token": token})
    assert response.status_code == 302
    review.reload()
    assert review.trashed
    assert str(review.pk) not in client.get("/admin/review/").get_data(as_text=True)
    assert "Child T" in client.get("/admin/trash/").get_data(as_text=True)
    client.post("/admin/trash/restore/", data={"type": "review", "id": str(review.pk),
                                               "csrf_token": token})
    review.reload()
    assert not review.trashed
    assert Version.objects(object_id=str(review.pk)).count() == 2
    assert Attachment.objects(item_id=str(review.pk), trashed=False).count() == 1
    assert {"delete", "restore"} <= {e.action for e in AuditEvent.objects(
        object_id=str(review.pk))}


def test_only_admin_restores(clean_db):
    review = f.make_review()
    content.trash(review, SYSTEM)
    with pytest.raises(PermissionDenied):
        content.restore(review, make_user("training"))


def test_purge_cli_deletes_for_good_and_leaves_an_audit_event(runner, clean_db):
    review = f.make_review()
    attachments.add(review, "a.pdf", b"%PDF-1.4 x", "application/pdf", "", SYSTEM)
    result = runner.invoke(args=["lif", "purge", f"review:{review.pk}", "--reason",
                                 "Entered in error"])
    assert result.exit_code == 0, result.output
    assert Review.objects(pk=review.pk).count() == 0
    assert Version.objects(object_id=str(review.pk)).count() == 0
    assert Attachment.objects.count() == 0
    event = AuditEvent.objects.get(action="purge")
    assert event.detail == "Entered in error"


def test_purge_needs_a_reason_and_an_existing_item(runner, clean_db):
    assert runner.invoke(args=["lif", "purge", "review:nope", "--reason", "x"]).exit_code == 1
    assert runner.invoke(args=["lif", "purge", "review:abc"]).exit_code == 2
