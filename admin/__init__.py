"""The web doors: login, Flask-Admin views, the public /published page, error pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from documents.uploads import too_large_message
from lif import db
from lif.db import DatabaseUnavailable
from lif.errors import LIFError
from lif.services import notifications, reference, saved_searches, storage

from . import auth, display, files, public
from .calendar import bp as calendar_bp
from .headers import init_headers
from .views.account import PasswordView
from .views.audits import AuditWorkView
from .views.content import CONTENT_VIEWS
from .views.dashboard import DashboardView
from .views.documents import DocumentsView
from .views.plans import ImportActionsView, MyActionsView, PlanBuilderView
from .views.preferences import PreferencesView
from .views.referrals import ReferralRegisterView
from .views.saved import SavedSearchView
from .views.search import SearchView
from .views.system import (
    AgencyView,
    AuditEventView,
    NotificationView,
    TrashView,
    UserView,
)

csrf = CSRFProtect()
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OPEN_WHEN_FULL = {"auth.login", "auth.logout"}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_admin(app: Flask) -> Admin:
    """Bind login, CSRF, the admin and the public pages to ``app``."""
    init_headers(app)
    _storage_guard(app)  # first: before anything reads the database (the signed-in user)
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(csrf.exempt(calendar_bp))  # GET only; the token is the credential

    admin = Admin(
        app,
        name="LIF",
        theme=Bootstrap4Theme(base_template="lif/layout.html", swatch="cerulean", fluid=True),
        index_view=DashboardView(name="Dashboard", url="/admin", menu_icon_type=None),
    )
    from lif.models import Agency, AuditEvent, Notification, User

    for view_class, model, name, category, endpoint in CONTENT_VIEWS:
        admin.add_view(view_class(model, name=name, category=category, endpoint=endpoint))
    admin.add_view(MyActionsView(name="My actions", category="Action plans",
                                 endpoint="my_actions"))
    admin.add_view(PlanBuilderView(name="New plan from findings", endpoint="plan_builder"))
    admin.add_view(ImportActionsView(name="Import actions", endpoint="import_actions"))
    admin.add_view(AuditWorkView(name="Audit workspace", category="Audits",
                                 endpoint="audit_work", url="/admin/audit_work"))
    admin.add_view(DocumentsView(name="Word documents", category="Reviews & learning",
                                 endpoint="documents"))
    admin.add_view(ReferralRegisterView(name="Register (CIEC/SCR)", category="CIEC",
                                        endpoint="referral_register"))
    admin.add_view(SearchView(name="Search", endpoint="search"))
    admin.add_view(SavedSearchView(name="Saved searches", endpoint="saved"))
    admin.add_view(UserView(User, name="Users", category="Administration", endpoint="users"))
    admin.add_view(AgencyView(Agency, name="Agencies", category="Administration",
                              endpoint="agencies"))
    admin.add_view(AuditEventView(AuditEvent, name="Audit trail", category="Administration",
                                  endpoint="audit_trail"))
    admin.add_view(TrashView(name="Trash", category="Administration", endpoint="trash"))
    admin.add_view(NotificationView(Notification, name="Messages", endpoint="messages"))
    admin.add_view(PreferencesView(name="Preferences", endpoint="preferences"))
    admin.add_view(PasswordView(name="Password", endpoint="password", url="/account/password"))
    _error_pages(app)
    display.register(app)

    @app.context_processor
    def lif_helpers():
        return {
            "lif_unread": lambda: notifications.unread_count(current_user),
            "lif_agency_name": reference.agency_name,
            "lif_saved": lambda: saved_searches.visible_to(current_user),
            "lif_saved_url": saved_searches.url_of,
        }

    return admin


def _storage_guard(app: Flask) -> None:
    """Refuse a write that would not leave the disk room; recover a store that met a full one."""

    @app.before_request
    def refuse_writes_without_room():
        storage.recover_if_needed()
        if request.method in WRITE_METHODS:
            # Signing in and out write a line or two: they need only the last few bytes.
            db.require_room(request.content_length or 0,
                            floor=request.endpoint in OPEN_WHEN_FULL)


def _error_pages(app: Flask) -> None:
    messages = {
        400: "The request was not understood.",
        403: "You do not have permission to do that.",
        404: "There is nothing at this address.",
        405: "That action is not allowed here.",
        409: "That conflicts with a newer change.",
        500: "Something went wrong on our side. The error has been logged.",
        503: "The database is not available just now. Nothing was lost; try again shortly.",
    }

    def render(status: int, message: str | None = None):
        message = message or messages.get(status, "Error")
        if wants_json():
            return jsonify({"error": message, "status": status}), status
        return render_template("lif/error.html", status=status, message=message), status

    for status in messages:
        app.register_error_handler(status, lambda e, s=status: render(s))

    @app.errorhandler(413)
    def too_large(error):
        # The body is over what the server reads at all (the limit plus room for the form's
        # other fields): nothing of it was read, so nothing was stored.
        return render(413, too_large_message(app.config["LIF_MAX_UPLOAD_MB"]))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render(400, "The form expired or did not come from LIF; reload and try again.")

    @app.errorhandler(LIFError)
    def lif_error(error):
        return render(error.status, error.message)

    from flask import current_app, g
    from pymongo.errors import AutoReconnect, OperationFailure, ServerSelectionTimeoutError

    @app.errorhandler(DatabaseUnavailable)
    @app.errorhandler(ServerSelectionTimeoutError)
    @app.errorhandler(AutoReconnect)
    def db_unreachable(error):
        # Draw the page as nobody: asking the database who is signed in would fail again and
        # turn the clear 503 into a bare 500.
        g._login_user = auth.login_manager.anonymous_user()
        return render(503)

    @app.errorhandler(OperationFailure)
    def database_failed(error):
        if storage.failed():  # the disk is full, or the store stopped on it
            g._login_user = auth.login_manager.anonymous_user()
            return render(503, storage.FULL_MESSAGE)
        current_app.logger.error("database error", exc_info=error)
        return render(500)
