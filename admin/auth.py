"""Login and logout: Flask-Login sessions, Flask-WTF forms with CSRF, argon2 in lif/."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from lif import audit_trail
from lif.errors import InvalidInput
from lif.services import users

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id):
    user = users.get_user(user_id)
    return user if user is not None and user.active else None


def client_address() -> str:
    return request.remote_addr or ""


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = users.authenticate(
                form.email.data,
                form.password.data,
                client_address(),
                max_failures=current_app.config["LIF_LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LIF_LOGIN_LOCK_MINUTES"],
            )
        except InvalidInput as error:
            form.password.errors.append(error.message)
            status = 401
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("lif/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        audit_trail.record("logout", current_user, current_user, object_type="user",
                           address=client_address())
    logout_user()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
