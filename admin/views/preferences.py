"""Each person's own preferences: how they get email, and their private calendar feed."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField

from lif.errors import LIFError
from lif.services import calendar, notifications

from .base import SecureMixin, client_actor

EMAIL_CHOICES = [
    ("immediate", "Immediately: one email per message"),
    ("digest", "Daily digest: one email a day with what I have not read"),
    ("none", "No email: I read my messages in LIF"),
]


class PreferencesForm(FlaskForm):
    email_mode = RadioField("Email", choices=EMAIL_CHOICES)


class PreferencesView(SecureMixin, BaseView):
    """Email mode and calendar feed, for every signed-in user."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def _page(self, form=None, feed_url: str | None = None):
        form = form or PreferencesForm(email_mode=current_user.email_mode or "immediate")
        return self.render(
            "lif/preferences.html",
            form=form,
            feed_url=feed_url,
            has_feed=calendar.has_feed(current_user),
            mail_configured=notifications.mail_settings() is not None,
        )

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = PreferencesForm()
        if form.validate_on_submit():
            try:
                notifications.set_email_mode(current_user, form.email_mode.data, client_actor())
            except LIFError as error:
                flash(error.message, "error")
            else:
                flash("Your email preference is saved.", "success")
                return redirect(self.get_url(".index"))
        return self._page(form if form.is_submitted() else None)

    @expose("/calendar/create/", methods=("POST",))
    def create_feed(self):
        # The token is stored hashed: this response is the only time the address is shown.
        token = calendar.create_token(current_user, client_actor())
        flash("Your calendar address is ready. Copy it now: it is shown only once.", "success")
        return self._page(feed_url=url_for("calendar.feed", token=token, _external=True))

    @expose("/calendar/revoke/", methods=("POST",))
    def revoke_feed(self):
        calendar.revoke_token(current_user, client_actor())
        flash("Your calendar address is turned off; calendars using it stop updating.", "info")
        return redirect(self.get_url(".index"))
