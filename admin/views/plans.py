"""Action plan pages beyond the lists: My actions, a plan from findings, importing actions."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape

from documents.tables import read_table
from documents.uploads import DocumentError, check_upload, read_upload
from lif import policy, values, workflow
from lif.errors import InvalidInput, LIFError, NotFound, PermissionDenied
from lif.models.action_plan import ACTION_STATUSES
from lif.services import content, plans, reference

from .. import auth
from .base import SecureView, client_actor

STATUS_LABELS = dict(ACTION_STATUSES)


#: The form's file field.
FILE_FIELD = "evidence_file"


def _checked_files(field: str = FILE_FIELD) -> list[tuple]:
    checked = []
    for upload in request.files.getlist(field):
        if not upload or not upload.filename:
            continue
        try:
            data = read_upload(upload, current_app.config["LIF_MAX_UPLOAD_MB"])
            file = check_upload(upload.filename, data)
        except DocumentError as error:
            raise InvalidInput(str(error), field=field) from None
        checked.append((file.name, file.data, file.media_type, file.text))
    return checked


def update_action_from_form(action, form, actor) -> list[str]:
    """Translate the one-form update (progress, evidence and its files, status) for
    :func:`lif.services.plans.update_action`; return what happened, in words."""
    chosen_file = any(u and u.filename for u in request.files.getlist(FILE_FIELD))
    try:
        files, file_errors = _checked_files(), {}
    except InvalidInput as error:
        files, file_errors = [], error.errors
    return plans.update_action(
        action, actor, progress=form.get("progress") or "", evidence=form.get("evidence") or "",
        measure=form.get("measure") or "", files=files, file_chosen=chosen_file,
        file_errors=file_errors, status=form.get("status") or None,
        comment=form.get("comment", ""))


def status_targets(action, user) -> list[tuple[str, str]]:
    """The action's status and those ``user`` can move it to now, for a select."""
    return [(status, STATUS_LABELS[status]) for status in plans.status_targets(action, user)]


class MyActionsView(SecureView):
    """A workforce lead's actions across all plans: overdue first, then by due date."""

    menu_area = "Action plans"

    # Anyone may lead an action (and read the actions they lead): the page is every
    # signed-in person's, with their agency's actions or those they lead.

    @expose("/")
    def index(self):
        include_done = request.args.get("all") == "1"
        page = values.read_page(request.args.get("page"))
        found = plans.my_actions_page(current_user, include_done=include_done, page=page,
                                      after=request.args.get("after", ""),
                                      before=request.args.get("before", ""))
        errors = {}
        return self.render("plans/my_actions.html", items=found.items,
                           include_done=include_done, later=found.later, earlier=found.earlier,
                           page_size=plans.MY_ACTIONS_PAGE,
                           rag=plans.rag, statuses=ACTION_STATUSES, errors=errors,
                           transitions=self._targets, agency_name=reference.agency_name,
                           state_title=workflow.state_title)

    def _targets(self, action):
        """Statuses this user can move the action to now (plus its current one)."""
        return status_targets(action, current_user)

    @expose("/update/", methods=("POST",))
    def update(self):
        try:
            action = content.get("action", request.form.get("id"), current_user)
        except NotFound:
            abort(404)
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        back = auth.safe_next(request.form.get("next"), url_for(".index"))
        try:
            done = update_action_from_form(action, request.form, client_actor())
        except PermissionDenied as error:
            if request.form.get("status") and request.form.get("status") != action.state:
                return self._refused(action, back, error.message, {"status": error.message})
            raise
        except LIFError as error:
            return self._refused(action, back, error.message, error.errors)
        if done:
            flash(f"'{action.title}': {', '.join(done)}.", "success")
        else:
            flash("Nothing to save: write progress, evidence or choose a status.", "info")
        return redirect(f"{back}#action-{action.pk}")

    def _refused(self, action, back: str, message: str, errors: dict):
        """The form again, with everything typed and each reason at its field (a file
        cannot be kept: the browser asks for it again)."""
        fields = ("progress", "status", "comment", "evidence", "measure", FILE_FIELD)
        placed = {name: text for name, text in errors.items() if name in fields}
        if not placed:
            flash(Markup(f"<strong>{escape(action.title)}</strong>: not saved — "
                         f"{escape(message)}"), "error")
        else:
            flash(Markup(f"<strong>{escape(action.title)}</strong>: not saved — see the "
                         "message at the field below; what you wrote is kept."), "error")
        values = {name: request.form.get(name, "") for name in fields if name != FILE_FIELD}
        return self.render("plans/action_update.html", action=action, back=back,
                           values=values, errors=placed, rag=plans.rag,
                           state_title=workflow.state_title,
                           targets=status_targets(action, current_user))


class PlanBuilderView(SecureView):
    """Create a plan from a review or an audit: one draft action per finding."""

    menu_area = "Action plans"

    def is_visible(self):
        return False

    def is_accessible(self):
        return policy.allows(current_user, "create", type_key="action_plan")

    @expose("/", methods=("GET", "POST"))
    def index(self):
        kind = request.values.get("source", "")
        try:
            source = plans.source_of(kind, request.values.get("id", ""), current_user)
        except NotFound:
            abort(404)
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except InvalidInput:
            abort(400)
        own_only = plans.own_agency_plans_only(current_user)
        policy.require(current_user, "create", plans.plan_probe(current_user, source, own_only))
        drafts = plans.draft_actions(source)
        errors: dict = {}
        values = request.form
        if request.method == "POST":
            chosen = []
            for index, draft in enumerate(drafts):
                if values.get(f"use-{index}") != "1":
                    continue
                chosen.append({
                    **draft,
                    "index": index,
                    "title": values.get(f"title-{index}", ""),
                    "description": values.get(f"description-{index}", ""),
                    "lead_name": values.get(f"lead_name-{index}", ""),
                    "lead_email": values.get(f"lead_email-{index}", ""),
                    "agency": values.get(f"agency-{index}", ""),
                    "due_date": values.get(f"due_date-{index}", ""),
                })
            plan_kind = values.get("kind") or ("single_agency" if own_only else "multi_agency")
            agency = values.get("agency") or (current_user.agency if own_only else None)
            try:
                if not chosen:
                    raise InvalidInput("Choose at least one finding to act on.", field="findings")
                plan = plans.create_plan_from_source(
                    source, title=values.get("title", "").strip(), kind=plan_kind, agency=agency,
                    owner=current_user.email, actions=chosen, actor=client_actor(),
                    summary=values.get("summary", ""),
                )
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                errors = dict(error.errors)
                # Map action errors back from the chosen list to the finding rows.
                for key in list(errors):
                    if key.startswith("actions."):
                        _, position, field = key.split(".", 2)
                        errors[f"{field}-{chosen[int(position)]['index']}"] = errors.pop(key)
                flash(error.message, "error")
            else:
                flash(f"Created the plan '{plan.title}' with {len(chosen)} draft actions.",
                      "success")
                return redirect(url_for("action_plan.details_view", id=plan.pk))
        return self.render("plans/builder.html", source=source, drafts=drafts, errors=errors,
                           values=values, agencies=reference.agency_choices(),
                           lead_only=own_only)


class ImportActionsView(SecureView):
    """Bulk import of actions from CSV or XLSX into a plan, with a dry run; all or nothing."""

    menu_area = "Action plans"

    def is_visible(self):
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self):
        try:
            plan = content.get("action_plan", request.values.get("plan", ""), current_user)
        except NotFound:
            abort(404)
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        policy.require(current_user, "import_into", plan)
        report = None
        if request.method == "POST":
            upload = request.files.get("file")
            dry_run = request.form.get("dry_run") == "1"
            table = None
            try:
                if upload is None or not upload.filename:
                    raise InvalidInput("Choose a CSV or XLSX file.", field="file")
                table = read_table(upload.filename,
                                   read_upload(upload, current_app.config["LIF_MAX_UPLOAD_MB"]))
                report = plans.import_actions(plan, table, client_actor(), dry_run=dry_run)
            except DocumentError as error:
                flash(f"Not imported: {error}", "error")
            except LIFError as error:
                flash(error.message, "error")
                if error.errors and not dry_run and table is not None:
                    report = plans.import_actions(plan, table, client_actor(), dry_run=True)
            else:
                if not dry_run:
                    created = sum(1 for r in report if r["outcome"] == plans.CREATED)
                    present = len(report) - created
                    again = (f" {present} rows were already in the plan and were not added "
                             "again." if present else "")
                    flash(f"Imported {created} actions into '{plan.title}'.{again}", "success")
                    return redirect(url_for("action_plan.details_view", id=plan.pk))
        return self.render("plans/import.html", plan=plan, report=report,
                           columns=plans.IMPORT_COLUMNS,
                           max_upload_mb=current_app.config["LIF_MAX_UPLOAD_MB"])

