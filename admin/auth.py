"""Signing in and out, and the forgotten password: Flask-Login sessions, Flask-WTF forms with
CSRF, the accounts service (argon2, the throttle, reset links) in lif/.

A session carries the generation of its person's sessions it began in (``_lif_gen``); the
person's record in the database holds the current one, checked on every request. Signing out,
a password change or reset, deactivation and an administrator's "sign out everywhere" raise
it, which ends every session of that person at once, in every worker.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from lif.errors import InvalidInput, NotFound
from lif.services import notifications, users

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"
SESSION_GENERATION = "_lif_gen"
CHANGE_ENDPOINT = "password.index"
# What a person who must choose a new password may still open.
OPEN_WHILE_CHANGING = {CHANGE_ENDPOINT, "auth.logout", "static", "admin.static", "healthz"}


@login_manager.user_loader
def load_user(user_id):
    user = users.get_user(user_id)
    if user is None or not users.session_is_current(user, session.get(SESSION_GENERATION)):
        return None
    return user


def client_address() -> str:
    return request.remote_addr or ""


def safe_next(target: str | None, default: str | None = None) -> str:
    """Return ``target`` when it is a path on this site, else ``default`` (the dashboard).

    What a browser would make of it decides: backslashes count as slashes and tabs and
    newlines vanish, so ``/\\evil.example`` and ``/\\t/evil.example`` are off-site too.
    """
    if target:
        seen = target.replace("\\", "/")
        seen = "".join(ch for ch in seen if ch not in "\t\r\n")
        parts = urlsplit(seen)
        if (not parts.scheme and not parts.netloc and seen.startswith("/")
                and not seen.startswith("//") and all(ord(ch) >= 32 for ch in seen)):
            return seen
    return default or url_for("admin.index")


def start_session(user) -> None:
    """Sign ``user`` in on a new session: nothing of the one before it (its CSRF token) lives on."""
    session.clear()
    login_user(user)
    session[SESSION_GENERATION] = user.session_generation or 0


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1000)],
                                 description="At least 12 characters; three or four unrelated "
                                             "words are easy to remember and hard to guess.")
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", "The two passwords do not match.")])


def mail_configured() -> bool:
    return notifications.mail_settings() is not None


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
            start_session(user)
            wanted = request.args.get("next")
            if user.must_change_password:
                return redirect(url_for(CHANGE_ENDPOINT,
                                        next=safe_next(wanted) if wanted else None))
            return redirect(safe_next(wanted))
    elif request.method == "POST":
        status = 400
    return render_template("lif/login.html", form=form, can_reset=mail_configured()), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # Every session of this person ends, a copied cookie too.
        person = current_user._get_current_object()
        person.address = client_address()
        users.end_sessions(person, person, reason="logout")
        logout_user()
        session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def require_new_password():
    """Send a person whose password someone else chose to choose their own first."""
    if (request.endpoint in OPEN_WHILE_CHANGING or request.path.startswith("/api/")
            or not current_user.is_authenticated
            or not getattr(current_user, "must_change_password", False)):
        return None
    if request.method != "GET":
        abort(403)
    return redirect(url_for(CHANGE_ENDPOINT, next=request.full_path))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    sent = False
    status = 200
    if mail_configured() and form.validate_on_submit():
        found = users.request_password_reset(
            form.email.data, client_address(),
            max_requests=current_app.config["LIF_LOGIN_MAX_FAILURES"],
            lock_minutes=current_app.config["LIF_LOGIN_LOCK_MINUTES"])
        if found is not None:
            user, token = found
            base = notifications.mail_settings().base_url
            link = base + url_for("auth.reset_password", token=token)
            minutes = int(users.RESET_LINK_LIFETIME.total_seconds() // 60)
            notifications.send_now(user.email, "Choose a new password", (
                f"Someone (we hope you) asked to choose a new password for {user.email} in "
                f"LIF.\n\nOpen this link within {minutes} minutes to choose it; it works "
                f"once:\n{link}\n\nIf it was not you, ignore this email: your password stays "
                "as it is."))
        sent = True
    elif request.method == "POST":
        status = 400
    return render_template("lif/forgot_password.html", form=form, sent=sent,
                           mail_configured=mail_configured()), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    if users.reset_link_user(token) is None:
        raise NotFound("This link has expired or was already used; ask for a new one.")
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            users.reset_with_link(token, form.new_password.data, client_address())
        except InvalidInput as error:
            form.new_password.errors.append(error.message)
            status = 400
        else:
            logout_user()
            session.clear()
            flash("Your new password is set: sign in with it.", "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    return render_template("lif/reset_password.html", form=form), status
