"""The public page the partnership's website links to: what is inside its publication window."""

from __future__ import annotations

from flask import Blueprint, render_template

from lif import clocks
from lif.services import publication

bp = Blueprint("public", __name__)


@bp.get("/published")
def published():
    return render_template("lif/published.html", items=publication.published_items(),
                           published_files=publication.published_files,
                           window=clocks.describe("publication"))
