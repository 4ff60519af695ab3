"""Attachment downloads: signed-in users for items they may view; the public for published files."""

from __future__ import annotations

import io

from flask import Blueprint, abort, send_file
from flask_login import login_required

from lif.errors import NotFound, PermissionDenied
from lif.services import attachments, publication

from .views.base import client_actor

bp = Blueprint("files", __name__)


def _send(attachment, data):
    return send_file(
        io.BytesIO(data),
        mimetype=attachment.media_type,
        as_attachment=True,
        # Cleaned again: a name stored before names were cleaned may hold a NUL.
        download_name=attachments.clean_file_name(attachment.name),
        max_age=0,
    )


@bp.get("/admin/file/<attachment_id>")
@login_required
def download(attachment_id):
    try:
        attachment, data = attachments.open_for(attachment_id, client_actor())
    except NotFound:
        abort(404)
    except PermissionDenied:
        raise  # the policy's reason, on a 403 page
    return _send(attachment, data)


@bp.get("/published/file/<attachment_id>")
def public_download(attachment_id):
    """A file marked for publication, of an item inside its publication window."""
    try:
        attachment, data = publication.open_published_file(attachment_id)
    except NotFound:
        abort(404)
    return _send(attachment, data)

