"""The dashboard at /admin/: what waits for me, and the partnership's figures."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from lif import frameworks, workflow
from lif.models.action_plan import ACTION_STATUSES
from lif.services import dashboard, worklist


class DashboardView(AdminIndexView):
    def is_accessible(self):
        return current_user.is_authenticated

    def inaccessible_callback(self, name, **kwargs):
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self):
        return self.render(
            "lif/dashboard.html",
            groups=worklist.waiting_for(current_user),
            state_title=workflow.state_title,
            # The real user object: figures may be recomputed in a background thread.
            figures=dashboard.figures(current_user._get_current_object()),
            statuses=ACTION_STATUSES,
            framework=frameworks.active(),
        )
