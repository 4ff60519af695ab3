"""The audit trail view: read-only for everyone, filterable, exportable."""

from __future__ import annotations

from lif.models import AuditEvent

from .. import factories as f
from ..conftest import AuthActions


def test_admin_sees_filters_and_exports_but_cannot_edit_or_delete(client):
    review = f.make_review()
    AuthActions(client).login()
    page = client.get("/admin/audit_trail/").get_data(as_text=True)
    assert "Child T" in page
    event = AuditEvent.objects(object_id=str(review.pk)).first()
    assert client.get(f"/admin/audit_trail/edit/?id={event.pk}").status_code in (302, 403, 404)
    token = AuthActions(client).csrf("/admin/")
    client.post("/admin/audit_trail/delete/", data={"id": str(event.pk), "csrf_token": token})
    assert AuditEvent.objects(pk=event.pk).count() == 1
    export = client.get("/admin/audit_trail/export/csv/")
    assert export.status_code == 200
    assert "Child T" in export.get_data(as_text=True)
    assert AuditEvent.objects(action="export").count() == 1



def test_every_kind_of_action_leaves_an_event_with_actor_and_address(client):
    from lif import workflow
    from lif.actors import SYSTEM
    from lif.services import attachments, content

    from ..conftest import make_user

    auth = AuthActions(client)
    auth.login(password="wrong password entirely")
    auth.login()
    review = f.make_review()
    attachment = attachments.add(review, "r.pdf", b"%PDF-1.4 r", "application/pdf", "", SYSTEM)
    token = auth.csrf("/admin/")
    client.post(f"/admin/review/edit/?id={review.pk}", data={
        "csrf_token": token, "base_version": "1", "title": "Child T", "review_type": "scr",
        "section": "reviews", "summary": "changed through the form"})
    client.get(f"/admin/file/{attachment.pk}")
    client.get("/admin/review/export/csv/")
    workflow.fire(review.reload() or review, "identify_panel", make_user("training"))
    content.trash(review, SYSTEM)
    auth.logout()
    kinds = {e.action for e in AuditEvent.objects}
    assert {"login_failed", "login", "create", "update", "download", "export", "transition",
            "delete", "logout", "attach"} <= kinds
    update = AuditEvent.objects.get(action="update")
    assert update.actor == "admin@test.lif" and update.address == "127.0.0.1"
    assert update.changes["summary"][1] == "changed through the form"
