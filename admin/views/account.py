"""Each person's own password: changed with the current one, which ends their other sessions."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_login import current_user
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from lif.errors import InvalidInput
from lif.services import users

from .. import auth
from .base import SecureMixin


class ChangePasswordForm(auth.NewPasswordForm):
    current_password = PasswordField("Current password",
                                     validators=[DataRequired(), Length(max=1000)])


class PasswordView(SecureMixin, BaseView):
    """Change one's own password; the page a person is sent to when they must."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated

    def is_visible(self) -> bool:
        return False  # reached from the navbar, next to the person's name

    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = ChangePasswordForm()
        status = 200
        person = current_user._get_current_object()
        if form.validate_on_submit():
            try:
                users.change_password(person, form.current_password.data,
                                      form.new_password.data)
            except InvalidInput as error:
                for name, message in error.errors.items():
                    form[name].errors = [*list(form[name].errors or []), message]
                status = 400
            else:
                # The change ended every session of this person; this one goes on, renewed.
                auth.start_session(users.get_user(person.pk))
                flash("Your password is changed. You were signed out everywhere else.",
                      "success")
                return redirect(auth.safe_next(request.args.get("next")))
        elif request.method == "POST":
            status = 400
        return self.render("lif/password.html", form=form,
                           must_change=person.must_change_password), status
