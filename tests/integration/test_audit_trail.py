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

