"""Word documents in the admin: download any form or report, upload an L&I Index.

Thin: :func:`documents.writers.load_item` and :func:`documents.writers.render` decide what
may be written for whom; :func:`documents.index_import.iter_index` reads an upload and
:func:`lif.services.learning_index.import_entries` loads it. Every download is recorded in
the audit trail.
"""

from __future__ import annotations

import io

from flask import abort, current_app, send_file, url_for
from flask_admin import expose
from flask_admin.base import BaseView
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField

from documents.errors import DocumentError
from documents.index_import import iter_index
from documents.uploads import read_upload
from documents.writers import DOCX_MEDIA_TYPE, KINDS, kinds_for, load_item, offered, render
from lif import audit_trail, policy
from lif.errors import LIFError
from lif.services import learning_index

from .base import SecureMixin, client_actor


class ImportForm(FlaskForm):
    """Upload a Learning and Improvement Index."""

    file = FileField(
        "Learning and Improvement Index (.docx)",
        validators=[FileRequired("Choose the .docx file to import."),
                    FileAllowed(["docx"], "Upload a Word document (.docx).")],
    )
    dry_run = BooleanField("Dry run: show what would be created, store nothing", default=True)


def may_import(user) -> bool:
    """Whether ``user`` may load index entries (they create reviews or audits)."""
    return policy.allows(user, "create", type_key="review") or policy.allows(
        user, "create", type_key="audit")


class DocumentsView(SecureMixin, BaseView):
    """Downloads of the generated forms and reports; the L&I Index upload page."""

    menu_area = "Reviews & learning"

    def create_blueprint(self, admin):
        blueprint = super().create_blueprint(admin)
        # Item pages (other views' templates) list their downloads through this helper.
        blueprint.add_app_template_global(self.documents_for, "lif_documents_for")
        return blueprint

    def documents_for(self, model) -> list[dict]:
        """Return the documents that can be downloaded for ``model``: label and URL."""
        type_key = getattr(model, "type_key", "")
        if not type_key or getattr(model, "pk", None) is None:
            return []
        return [
            {"kind": kind.key, "label": kind.label,
             "url": url_for(f"{self.endpoint}.export", kind=kind.key, item_id=str(model.pk))}
            for kind in kinds_for(type_key, model)
        ]

    @expose("/")
    def index(self):
        overall = [kind for kind in offered() if kind.type_key is None]
        per_item = [kind for kind in offered() if kind.type_key is not None]
        return self.render("documents/index.html", overall=overall, per_item=per_item,
                           may_import=may_import(current_user))

    @expose("/export/<kind>/")
    @expose("/export/<kind>/<item_id>")
    def export(self, kind: str, item_id: str | None = None):
        """Send a generated document; 404 unknown kind or item, 403 not allowed to view."""
        if kind not in KINDS:
            abort(404)
        if KINDS[kind].type_key is not None and not item_id:
            abort(404)
        actor = client_actor()
        # NotFound, PermissionDenied and InvalidInput reach the app's handler: 404/403/400.
        item = load_item(kind, item_id, actor)
        filename, data = render(kind, item, actor)
        audit_trail.record(
            "download", actor, item,
            object_type="" if item is not None else "document",
            object_title="" if item is not None else KINDS[kind].label,
            detail=f"{kind} -> {filename} ({len(data):,} bytes)",
        )
        return send_file(io.BytesIO(data), mimetype=DOCX_MEDIA_TYPE, as_attachment=True,
                         download_name=filename, max_age=0)

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        """Upload an L&I Index; a dry run (the default) only reports what would happen."""
        if not may_import(current_user):
            abort(403)
        form = ImportForm()
        report = None
        error = None
        if form.validate_on_submit():
            try:
                data = read_upload(form.file.data, current_app.config["LIF_MAX_UPLOAD_MB"])
                # The whole document is read before anything is stored: a file that breaks
                # part-way stores nothing.
                entries = list(iter_index(data))
                report = learning_index.import_entries(entries, client_actor(),
                                                       dry_run=form.dry_run.data)
            except DocumentError as exc:
                error = f"Nothing was imported: {exc}"
            except LIFError as exc:
                error = f"Nothing was imported: {exc.message}"
        elif form.errors:
            error = " ".join(message for messages in form.errors.values()
                             for message in messages)
        return self.render("documents/import.html", form=form, report=report, error=error)


__all__ = ["DocumentsView", "ImportForm"]
