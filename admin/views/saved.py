"""Saved searches (Plone's Collections): save a search or a filtered list, share it, find it."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user

from config.roles import ROLES
from lif.errors import LIFError, NotFound, PermissionDenied
from lif.services import saved_searches

from .base import SecureView, client_actor


class SavedSearchView(SecureView):
    def is_accessible(self):
        return current_user.is_authenticated

    @expose("/")
    def index(self):
        return self.render("lif/saved.html", items=saved_searches.visible_to(current_user),
                           url_of=saved_searches.url_of, roles=ROLES)

    @expose("/save/", methods=("POST",))
    def save(self):
        target = urlsplit(request.form.get("target", ""))
        try:
            saved = saved_searches.save(client_actor(), request.form.get("name", ""),
                                        target.path, target.query,
                                        request.form.getlist("shared_with"))
        except LIFError as error:
            flash(f"Not saved: {error.message}", "error")
            back = target.path if saved_searches.PATH_RE.match(target.path) else "/admin/"
            return redirect(f"{back}?{target.query}" if target.query else back)
        flash(f"Saved '{saved.name}'. Find it under Saved searches.", "success")
        return redirect(saved_searches.url_of(saved))

    @expose("/delete/", methods=("POST",))
    def delete(self):
        try:
            saved_searches.delete(current_user, request.form.get("id"))
        except NotFound:
            abort(404)
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        return redirect(self.get_url(".index"))
