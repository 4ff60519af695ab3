"""Administration: accounts, agencies, the audit trail, the trash; and each user's messages."""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.mongoengine import ModelView
from flask_admin.contrib.mongoengine.filters import FilterEqual, FilterLike
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField
from wtforms import StringField as WTFStringField
from wtforms.validators import DataRequired, Length, Optional

from config.roles import ROLES
from lif import audit_trail
from lif.errors import LIFError
from lif.models import CONTENT_TYPES, Agency, AuditEvent, Notification, User
from lif.services import content, notifications, reference, users

from .base import InheritedEndpointsClosed, SecureMixin, SecureView, apply_errors, client_actor
from .fields import EmailAddress, LIFModelConverter


class AdminOnlyModelView(InheritedEndpointsClosed, SecureMixin, ModelView):
    menu_area = "Administration"
    form_base_class = FlaskForm
    model_form_converter = LIFModelConverter
    simple_list_pager = True
    page_size = 50


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), EmailAddress(), Length(max=254)])
    name = WTFStringField("Name", validators=[Optional(), Length(max=200)])
    roles = SelectMultipleField("Roles", choices=list(ROLES.items()),
                                validators=[DataRequired()])
    agency = SelectField("Agency", choices=[], validators=[Optional()])
    active = BooleanField("May sign in", default=True)
    password = PasswordField(
        "Password", validators=[Optional(), Length(max=1000)],
        description="Leave empty to generate one (shown once).",
    )


class UserView(AdminOnlyModelView):
    column_list = ("email", "name", "roles", "agency", "active", "last_login_at")
    column_searchable_list = ("email", "name")
    column_filters = (FilterEqual("roles", "Role", options=list(ROLES.items())),
                      FilterEqual("agency", "Agency", options=lambda: reference.agency_choices()))
    column_formatters = {"roles": lambda v, c, m, n: ", ".join(ROLES.get(r, r) for r in m.roles),
                         "agency": lambda v, c, m, n: reference.agency_name(m.agency)}
    column_details_exclude_list = ("password_hash", "api_tokens", "calendar_token",
                                   "session_generation")
    can_delete = False
    can_view_details = True
    details_template = "lif/user_details.html"

    def get_form(self):
        return UserForm

    def _choices(self, form):
        form.agency.choices = [("", "—")] + reference.agency_choices()
        return form

    def create_form(self, obj=None):
        return self._choices(UserForm(request.form if request.method == "POST" else None))

    def edit_form(self, obj=None):
        form = UserForm(request.form if request.method == "POST" else None, obj=obj)
        del form.password
        form.email.render_kw = {"readonly": True}
        return self._choices(form)

    def create_model(self, form):
        try:
            # A password the administrator chose is theirs: its owner chooses one at first sign-in.
            user, generated = users.create_user(
                form.email.data, form.password.data or None, form.roles.data,
                form.agency.data or None, form.name.data or "", actor=client_actor(),
                must_change=True,
            )
        except LIFError as error:
            apply_errors(form, error)
            return False
        if generated:
            flash(f"Account created. Its password (shown once): {generated}", "success")
        return user

    def update_model(self, form, model):
        try:
            users.update_user(model, name=form.name.data or "", roles=form.roles.data,
                              agency=form.agency.data or None, active=form.active.data,
                              actor=client_actor())
        except LIFError as error:
            apply_errors(form, error)
            return False
        return True

    def _account(self):
        user = users.get_user(request.form.get("id", ""))
        if user is None:
            abort(404)
        return user

    @expose("/reset-password/", methods=("POST",))
    def reset_password_view(self):
        """Give the person a generated password (shown once) and sign them out everywhere."""
        user = self._account()
        generated = users.reset_password(user, client_actor())
        flash(f"{user.email} is signed out everywhere and must choose a password of their own "
              f"at the next sign-in. New password (shown once): {generated}", "success")
        return redirect(self.get_url(".details_view", id=user.pk))

    @expose("/sign-out/", methods=("POST",))
    def sign_out_view(self):
        """End every session of the person at once (a lost laptop, a shared computer)."""
        user = self._account()
        users.end_sessions(user, client_actor())
        flash(f"{user.email} is signed out everywhere.", "success")
        return redirect(self.get_url(".details_view", id=user.pk))


class AgencyView(AdminOnlyModelView):
    column_list = ("key", "name", "kind")
    column_searchable_list = ("name", "key")
    can_delete = False

    def after_model_change(self, form, model, is_created):
        reference.forget()
        audit_trail.record("create" if is_created else "update", client_actor(), model,
                           object_type="agency")


class AuditEventView(AdminOnlyModelView):
    """The audit trail: read-only for everyone, administrators included."""

    can_create = False
    can_edit = False
    can_delete = False
    can_export = True
    export_types = ["csv"]
    can_view_details = True
    column_list = ("at", "actor", "action", "object_type", "object_title", "detail", "address")
    column_default_sort = ("at", True)
    column_filters = (
        FilterLike("actor", "Actor"),
        FilterEqual("action", "Action", options=[
            (a, a) for a in ("create", "update", "delete", "restore", "purge", "transition",
                             "login", "login_failed", "logout", "download", "export",
                             "create_user", "update_user", "create_token", "revoke_token",
                             "change_password", "reset_password", "reset_password_by_email",
                             "request_password_reset", "sign_out_everywhere")]),
        FilterEqual("object_type", "Object type",
                    options=[(k, k) for k in [*CONTENT_TYPES, "user", "agency", "attachment"]]),
        FilterEqual("object_id", "Object id"),
        "at",
    )
    column_searchable_list = ("object_title", "detail")
    column_formatters_export = {"changes": lambda v, c, m, n: str(m.changes)}
    column_export_list = ("at", "actor", "action", "object_type", "object_id", "object_title",
                          "changes", "detail", "address")

    def _export_csv(self, return_url):
        audit_trail.record("export", client_actor(), object_type="audit_event",
                           detail="audit trail CSV")
        return super()._export_csv(return_url)


class NotificationView(InheritedEndpointsClosed, SecureMixin, ModelView):
    """Each person's own messages (the in-app half of the outbox)."""

    menu_area = "Messages"
    form_base_class = FlaskForm
    can_create = False
    can_edit = False
    can_delete = False
    simple_list_pager = True
    column_list = ("created_at", "subject", "body", "read_at")
    column_default_sort = ("created_at", True)

    def is_accessible(self):
        return current_user.is_authenticated

    def is_visible(self):
        return False  # reached from the navbar's Messages link with its unread count

    def get_query(self):
        return Notification.objects(recipient=current_user.email)

    def get_one(self, id):
        return self.get_query().filter(pk=id).first()

    @expose("/read/", methods=("POST",))
    def mark_read(self):
        notifications.mark_all_read(current_user)
        return redirect(self.get_url(".index_view"))


class TrashView(SecureView):
    """Trashed items, restorable with their versions and attachments (administrators only)."""

    @expose("/")
    def index(self):
        items = []
        for key, model in CONTENT_TYPES.items():
            for item in model.objects(trashed=True).order_by("-trashed_at")[:200]:
                items.append((key, item))
        return self.render("lif/trash.html", items=items)

    @expose("/restore/", methods=("POST",))
    def restore(self):
        key = request.form.get("type", "")
        model = CONTENT_TYPES.get(key)
        if model is None:
            abort(404)
        item = model.objects(pk=request.form.get("id"), trashed=True).first()
        if item is None:
            abort(404)
        content.restore(item, client_actor())
        flash(f"Restored '{item}'.", "success")
        return redirect(self.get_url(".index"))


__all__ = ["AgencyView", "AuditEventView", "NotificationView", "TrashView", "UserView", "Agency",
           "User", "AuditEvent", "Notification"]
