"""The audit workspace: running one audit, page by page, through ``lif.services.audits``.

``/admin/audit_work/<audit id>/`` and the pages under it: population (upload and list), sample
(draw by rule, make-up against the population), tools (builder, publish), returns (send,
progress), answers (a lead auditor's forms, their agency only), findings (tables and charts),
recommendations (into actions) and, for a Section 11 self-assessment, the panel's outcomes.
Every form is a Flask-WTF form with CSRF; a service error goes back to its field and nothing
is stored. The pages decide nothing: they call the service and show what it returns.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from config import taxonomy
from documents.errors import DocumentError
from documents.tables import read_table
from documents.uploads import read_upload
from lif import policy, workflow
from lif.errors import InvalidInput, LIFError, NotFound, PermissionDenied
from lif.models.action_plan import PLAN_KINDS
from lif.models.audit_work import QUESTION_KINDS, SAMPLE_RULES, SECTION11_OUTCOMES
from lif.services import audits, reference

from .base import SecureView, apply_errors, client_actor

AREA = "Audits"


# --- forms ----------------------------------------------------------------------------------


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UploadForm(FlaskForm):
    file = FileField("Population file (CSV or XLSX)", validators=[FileRequired()],
                     description="Row 1 names the columns: case_ref and agency at least; "
                                 "age_band, gender, area, ethnicity, referred_on if known.")


class CaseForm(FlaskForm):
    case_ref = StringField("Case reference", validators=[DataRequired(), Length(max=64)])
    agency = SelectField("Referring agency", choices=[], validators=[DataRequired()])
    age_band = StringField("Age band", validators=[Optional(), Length(max=32)])
    gender = StringField("Gender", validators=[Optional(), Length(max=32)])
    area = StringField("Area", validators=[Optional(), Length(max=100)])
    ethnicity = StringField("Ethnicity", validators=[Optional(), Length(max=100)])
    referred_on = DateField("Referred on", validators=[Optional()])


class RemoveCaseForm(FlaskForm):
    case_ref = HiddenField(validators=[DataRequired()])


def _seed_field():
    return IntegerField("Seed", validators=[Optional(), NumberRange(min=0)],
                        description="Leave empty for a new one; it is stored with the draw.")


class RandomDrawForm(FlaskForm):
    n = IntegerField("Number of cases", validators=[DataRequired(), NumberRange(min=1)])
    seed = _seed_field()


class TopUpForm(FlaskForm):
    n = IntegerField("A further", validators=[DataRequired(), NumberRange(min=1)],
                     description="cases")
    age_band = MultiCheckboxField("Age band", choices=[], validate_choice=False)
    gender = MultiCheckboxField("Gender", choices=[], validate_choice=False)
    agency = MultiCheckboxField("Referring agency", choices=[], validate_choice=False)
    area = MultiCheckboxField("Area", choices=[], validate_choice=False)
    reason = StringField("Why", validators=[Optional(), Length(max=2000)],
                         description="e.g. to balance a sample that leant towards 14-17")
    seed = _seed_field()


class HandPickForm(FlaskForm):
    case_refs = TextAreaField("Case references", validators=[DataRequired()],
                              description="One per line, or separated by commas.")
    reason = StringField("Reason", validators=[DataRequired(), Length(max=2000)])


class WithdrawForm(FlaskForm):
    number = HiddenField(validators=[DataRequired()])


def per_agency_form(agencies: list[tuple[str, str]]):
    """A form with one quota field per agency that has cases in the population."""

    class PerAgencyForm(FlaskForm):
        seed = _seed_field()

    for key, name in agencies:
        setattr(PerAgencyForm, f"quota_{key}",
                IntegerField(name, validators=[Optional(), NumberRange(min=0)]))
    PerAgencyForm.agency_keys = [key for key, _ in agencies]
    return PerAgencyForm


class ToolForm(FlaskForm):
    name = StringField("Tool name", validators=[DataRequired(), Length(max=300)])


class QuestionForm(FlaskForm):
    uid = HiddenField()
    text = TextAreaField("Question", validators=[DataRequired(), Length(max=2000)])
    kind = SelectField("Answer", choices=list(QUESTION_KINDS))
    options = TextAreaField("Options", validators=[Optional()],
                            description="Single and multiple choice: one option per line.")
    scale_min = IntegerField("Scale from", validators=[Optional()], default=1)
    scale_max = IntegerField("Scale to", validators=[Optional()], default=5)
    help = StringField("Guidance", validators=[Optional(), Length(max=2000)])
    required = BooleanField("Must be answered", default=True)


class QuestionActionForm(FlaskForm):
    uid = HiddenField(validators=[DataRequired()])
    move = HiddenField()


class PublishForm(FlaskForm):
    pass


class AssignForm(FlaskForm):
    tool = SelectField("Tool", choices=[], validators=[DataRequired()])
    to = RadioField("Send to", choices=[
        ("referring", "Each case's referring agency"),
        ("participants", "Every agency taking part, for each case"),
    ], default="referring")


class ReopenForm(FlaskForm):
    assignment = HiddenField(validators=[DataRequired()])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)])


class ActionForm(FlaskForm):
    target = RadioField("Add to", choices=[("new", "A new plan"), ("existing", "An existing plan")],
                        default="new")
    plan = SelectField("Existing plan", choices=[], validators=[Optional()])
    plan_title = StringField("New plan's title", validators=[Optional(), Length(max=300)])
    plan_kind = SelectField("New plan's kind", choices=list(PLAN_KINDS))
    plan_agency = SelectField("Agency (single-agency plan)", choices=[],
                              validators=[Optional()])
    title = StringField("Action", validators=[Optional(), Length(max=300)],
                        description="Leave empty to use the recommendation.")
    lead_name = StringField("Named lead", validators=[DataRequired(), Length(max=200)])
    lead_email = StringField("Lead's email", validators=[DataRequired(), Length(max=254)])
    agency = SelectField("Lead's agency", choices=[], validators=[DataRequired()])
    due_date = DateField("Due", validators=[DataRequired()])


class OutcomeForm(FlaskForm):
    agency = SelectField("Agency", choices=[], validators=[DataRequired()])
    # Starts blank: an outcome is recorded only when the panel's is chosen.
    outcome = SelectField("Panel outcome", choices=[("", "— choose —"), *SECTION11_OUTCOMES],
                          validators=[DataRequired("Choose the panel's outcome.")])
    challenge = TextAreaField("Scrutiny and challenge", validators=[Optional()])
    agreed_actions = TextAreaField("Actions agreed", validators=[Optional()])
    panel_date = DateField("Panel date", validators=[Optional()])
    override_reason = TextAreaField("Reason for recording it in the panel's place",
                                    validators=[Optional()])


class Section11Form(FlaskForm):
    pass


def answer_form(tool, assignment):
    """Build the answer form of one tool version, filled with the return's saved answers."""

    class AnswerForm(FlaskForm):
        base_version = HiddenField()
        submit_return = HiddenField()

    for question in tool.questions:
        name = f"q_{question.uid}"
        label = question.text
        description = question.help or ""
        if question.kind in ("yes_no_na", "single", "rag", "scale"):
            choices = {
                "yes_no_na": list(audits.YES_NO_NA),
                "rag": list(audits.RAG),
                "single": [(o, o) for o in question.options],
                "scale": [(str(v), str(v)) for v in range(question.scale_min or 1,
                                                          (question.scale_max or 5) + 1)],
            }[question.kind]
            field = RadioField(label, choices=choices, validate_choice=False,
                               description=description)
        elif question.kind == "multiple":
            field = MultiCheckboxField(label, choices=[(o, o) for o in question.options],
                                       validate_choice=False, description=description)
        else:
            field = TextAreaField(label, validators=[Optional()], description=description)
        setattr(AnswerForm, name, field)
        if question.kind == "rag":
            setattr(AnswerForm, f"{name}_evidence",
                    TextAreaField("Evidence", validators=[Optional()]))
    data = {"base_version": assignment.version}
    for question in tool.questions:
        value = assignment.answers.get(question.uid)
        if value is None:
            continue
        if question.kind == "rag":
            data[f"q_{question.uid}"] = value.get("rating")
            data[f"q_{question.uid}_evidence"] = value.get("evidence")
        elif question.kind == "scale":
            data[f"q_{question.uid}"] = str(value)
        else:
            data[f"q_{question.uid}"] = value
    form = AnswerForm(data=data) if request.method == "GET" else AnswerForm()
    return form


def answers_from(form, tool) -> dict:
    """Read a submitted answer form into ``{question uid: value}`` for the service."""
    out = {}
    for question in tool.questions:
        value = form[f"q_{question.uid}"].data
        if question.kind == "rag":
            value = {"rating": value or "", "evidence": form[f"q_{question.uid}_evidence"].data}
        out[question.uid] = value
    return out


# --- the view -------------------------------------------------------------------------------


class AuditWorkView(SecureView):
    """Run an audit: population, sample, tools, returns, findings, recommendations."""

    menu_area = AREA

    def is_accessible(self) -> bool:
        # Lead auditors are named by email and may hold any role: each page decides.
        return current_user.is_authenticated

    def is_visible(self) -> bool:
        return current_user.is_authenticated and policy.can_use_menu(current_user, AREA)

    # --- helpers ----------------------------------------------------------------------
    def _audit(self, audit_id):
        try:
            return audits.get_audit(audit_id, current_user)
        except NotFound:
            abort(404)
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page

    def _workspace(self, audit_id):
        """The audit, for a page of the committee's workspace (not a lead auditor's form)."""
        if not policy.can_use_menu(current_user, AREA):
            abort(403)
        return self._audit(audit_id)

    def _page(self, template: str, audit, tab: str, **context):
        return self.render(
            template, audit=audit, tab=tab, can_edit=policy.allows(current_user, "edit", audit),
            agency_name=reference.agency_name,
            answering=audits.answering_agencies(current_user, audit), **context,
        )

    def _done(self, message: str, endpoint: str, audit, **values):
        flash(message, "success")
        return redirect(url_for(f".{endpoint}", audit_id=audit.pk, **values))

    # --- index ------------------------------------------------------------------------
    @expose("/")
    def index(self):
        return self.render(
            "audits/index.html",
            items=audits.audits_for(current_user) if policy.can_use_menu(
                current_user, AREA) else [],
            outstanding=audits.my_outstanding(current_user),
            agency_name=reference.agency_name,
            state_title=workflow.state_title,
        )

    @expose("/<audit_id>/")
    def overview(self, audit_id):
        audit = self._workspace(audit_id)
        return self._page("audits/overview.html", audit, "overview",
                          counts=audits.overview(audit),
                          type_label=dict(taxonomy.AUDIT_TYPES).get(audit.audit_type, ""),
                          committee_label=dict(taxonomy.COMMITTEES).get(audit.committee, ""),
                          theme_label=dict(taxonomy.THEMES).get(audit.theme, audit.theme))

    # --- population -------------------------------------------------------------------
    def _case_form(self, form=None):
        form = form or CaseForm(prefix="case")
        form.agency.choices = [("", "—")] + reference.agency_choices()
        return form

    def _population_page(self, audit, upload=None, case_form=None):
        try:
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            page = 1
        size = 200
        total, sampled = audits.population_size(audit)
        return self._page(
            "audits/population.html", audit, "population",
            upload=upload or UploadForm(prefix="upload"),
            case_form=self._case_form(case_form), remove_form=RemoveCaseForm(prefix="remove"),
            cases=audits.population(audit, limit=size, offset=(page - 1) * size),
            total=total, sampled=sampled, page=page, pages=max((total - 1) // size + 1, 1),
        )

    @expose("/<audit_id>/population/")
    def population(self, audit_id):
        return self._population_page(self._workspace(audit_id))

    @expose("/<audit_id>/population/upload", methods=("POST",))
    def population_upload(self, audit_id):
        audit = self._workspace(audit_id)
        form = UploadForm(prefix="upload")
        if form.validate_on_submit():
            upload = form.file.data
            try:
                table = read_table(upload.filename, read_upload(
                    upload, current_app.config["LIF_MAX_UPLOAD_MB"]))
                result = audits.import_population(audit, table, client_actor(),
                                                  source=upload.filename)
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except DocumentError as error:
                apply_errors(form, InvalidInput(str(error), field="file"))
            except LIFError as error:
                apply_errors(form, error)
            else:
                extra = (f" Also kept: {', '.join(result.extra_columns)}."
                         if result.extra_columns else "")
                return self._done(f"Imported {result.added} cases.{extra}", "population", audit)
        return self._population_page(audit, upload=form)

    @expose("/<audit_id>/population/add", methods=("POST",))
    def population_add(self, audit_id):
        audit = self._workspace(audit_id)
        form = self._case_form(CaseForm(prefix="case"))
        if form.validate_on_submit():
            data = {name: form[name].data for name in
                    ("case_ref", "agency", "age_band", "gender", "area", "ethnicity",
                     "referred_on")}
            try:
                audits.add_case(audit, data, client_actor())
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                apply_errors(form, error)
            else:
                return self._done(f"Added case {data['case_ref']}.", "population", audit)
        return self._population_page(audit, case_form=form)

    @expose("/<audit_id>/population/remove", methods=("POST",))
    def population_remove(self, audit_id):
        audit = self._workspace(audit_id)
        form = RemoveCaseForm(prefix="remove")
        if not form.validate_on_submit():
            abort(400)
        try:
            audits.remove_case(audit, form.case_ref.data, client_actor())
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except LIFError as error:
            flash(error.message, "error")
            return redirect(url_for(".population", audit_id=audit.pk))
        return self._done(f"Removed case {form.case_ref.data}.", "population", audit)

    # --- sample -----------------------------------------------------------------------
    def _sample_forms(self, audit, **bound):
        values = audits.attribute_values(audit)
        names = reference.agency_names()
        present = [(a, names.get(a, a)) for a in values["agency"]]
        forms = {
            "random_n": bound.get("random_n") or RandomDrawForm(prefix="random"),
            "per_agency": bound.get("per_agency") or per_agency_form(present)(prefix="strata"),
            "top_up": bound.get("top_up") or TopUpForm(prefix="topup"),
            "hand_picked": bound.get("hand_picked") or HandPickForm(prefix="hand"),
        }
        top = forms["top_up"]
        top.age_band.choices = [(v, v) for v in values["age_band"]]
        top.gender.choices = [(v, v) for v in values["gender"]]
        top.agency.choices = present
        top.area.choices = [(v, v) for v in values["area"]]
        return forms

    def _sample_page(self, audit, **bound):
        forms = self._sample_forms(audit, **bound)
        draws = audits.draws(audit)
        return self._page(
            "audits/sample.html", audit, "sample", forms=forms,
            rules=dict(SAMPLE_RULES), draws=draws, withdraw=WithdrawForm(prefix="withdraw"),
            makeup=audits.sample_makeup(audit), makeup_fields=audits.MAKEUP_FIELDS,
            size=audits.population_size(audit),
        )

    @expose("/<audit_id>/sample/")
    def sample(self, audit_id):
        return self._sample_page(self._workspace(audit_id))

    @expose("/<audit_id>/sample/<rule>", methods=("POST",))
    def sample_draw(self, audit_id, rule):
        audit = self._workspace(audit_id)
        if rule not in dict(SAMPLE_RULES):
            abort(404)
        form = self._sample_forms(audit)[rule]
        if form.validate_on_submit():
            seed = getattr(form, "seed", None)
            seed = seed.data if seed is not None else None
            reason = form.reason.data if hasattr(form, "reason") else ""
            if rule == "random_n":
                parameters = {"n": form.n.data}
            elif rule == "per_agency":
                parameters = {"quotas": {
                    key: form[f"quota_{key}"].data for key in form.agency_keys
                    if form[f"quota_{key}"].data}}
            elif rule == "top_up":
                parameters = {"n": form.n.data, "criteria": {
                    name: form[name].data for name in ("age_band", "gender", "agency", "area")
                    if form[name].data}}
            else:
                parameters = {"case_refs": form.case_refs.data}
            try:
                draw = audits.draw_sample(audit, rule, parameters, client_actor(), seed=seed,
                                          reason=reason or "")
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                apply_errors(form, error)
            else:
                seed_text = f" with seed {draw.seed}" if draw.seed is not None else ""
                return self._done(f"Draw {draw.number}: {len(draw.case_refs)} cases added to "
                                  f"the sample{seed_text}.", "sample", audit)
        return self._sample_page(audit, **{rule: form})

    @expose("/<audit_id>/sample/withdraw", methods=("POST",))
    def sample_withdraw(self, audit_id):
        audit = self._workspace(audit_id)
        form = WithdrawForm(prefix="withdraw")
        if not form.validate_on_submit():
            abort(400)
        try:
            audits.withdraw_draw(audit, int(form.number.data), client_actor())
        except ValueError:
            abort(400)
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except LIFError as error:
            flash(error.message, "error")
            return redirect(url_for(".sample", audit_id=audit.pk))
        return self._done(f"Draw {form.number.data} withdrawn.", "sample", audit)

    # --- tools ------------------------------------------------------------------------
    @expose("/<audit_id>/tools/", methods=("GET", "POST"))
    def tools(self, audit_id):
        audit = self._workspace(audit_id)
        form = ToolForm(prefix="tool")
        if request.method == "POST":
            if form.validate_on_submit():
                try:
                    tool = audits.create_tool(audit, form.name.data, client_actor())
                except PermissionDenied:
                    raise  # the policy's reason, on a 403 page
                except LIFError as error:
                    apply_errors(form, error)
                else:
                    flash(f"Created '{tool.name}'. Add its questions.", "success")
                    return redirect(url_for(".tool", audit_id=audit.pk, tool_id=tool.pk))
        return self._page("audits/tools.html", audit, "tools", form=form,
                          section11_form=Section11Form(prefix="s11"),
                          latest=audits.latest_tools(audit), versions=audits.tools(audit))

    @expose("/<audit_id>/tools/section11", methods=("POST",))
    def tools_section11(self, audit_id):
        audit = self._workspace(audit_id)
        if not Section11Form(prefix="s11").validate_on_submit():
            abort(400)
        try:
            tool = audits.create_section11_tool(audit, client_actor())
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except LIFError as error:
            flash(error.message, "error")
            return redirect(url_for(".tools", audit_id=audit.pk))
        flash("Created the Section 11 self-assessment from the standards.", "success")
        return redirect(url_for(".tool", audit_id=audit.pk, tool_id=tool.pk))

    def _tool(self, audit, tool_id):
        try:
            return audits.get_tool(audit, tool_id)
        except NotFound:
            abort(404)

    def _tool_page(self, audit, tool, add_form=None, edit_form=None):
        edit_forms = {}
        for question in tool.questions:
            if edit_form is not None and edit_form.uid.data == question.uid:
                edit_forms[question.uid] = edit_form
                continue
            edit_forms[question.uid] = QuestionForm(prefix=f"e{question.uid}", data={
                "uid": question.uid, "text": question.text, "kind": question.kind,
                "options": "\n".join(question.options or []), "help": question.help,
                "scale_min": question.scale_min or 1, "scale_max": question.scale_max or 5,
                "required": question.required,
            })
        return self._page(
            "audits/tool.html", audit, "tools", tool=tool,
            add_form=add_form or QuestionForm(prefix="add"), edit_forms=edit_forms,
            action_form=QuestionActionForm(prefix="qa"), publish_form=PublishForm(prefix="pub"),
            versions=[t for t in audits.tools(audit) if t.key == tool.key],
            kinds=dict(QUESTION_KINDS),
        )

    @expose("/<audit_id>/tools/<tool_id>/")
    def tool(self, audit_id, tool_id):
        audit = self._workspace(audit_id)
        return self._tool_page(audit, self._tool(audit, tool_id))

    def _question_data(self, form) -> dict:
        return {name: form[name].data for name in
                ("text", "kind", "options", "scale_min", "scale_max", "help", "required")}

    @expose("/<audit_id>/tools/<tool_id>/questions", methods=("POST",))
    def tool_add_question(self, audit_id, tool_id):
        audit = self._workspace(audit_id)
        tool = self._tool(audit, tool_id)
        form = QuestionForm(prefix="add")
        if form.validate_on_submit():
            try:
                draft = audits.add_question(tool, self._question_data(form), client_actor())
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                apply_errors(form, error)
            else:
                note = (f" (in the new draft version {draft.version})"
                        if draft.pk != tool.pk else "")
                flash(f"Question added{note}.", "success")
                return redirect(url_for(".tool", audit_id=audit.pk, tool_id=draft.pk))
        return self._tool_page(audit, tool, add_form=form)

    @expose("/<audit_id>/tools/<tool_id>/questions/<uid>", methods=("POST",))
    def tool_edit_question(self, audit_id, tool_id, uid):
        audit = self._workspace(audit_id)
        tool = self._tool(audit, tool_id)
        form = QuestionForm(prefix=f"e{uid}")
        form.uid.data = uid
        if form.validate_on_submit():
            try:
                draft = audits.update_question(tool, uid, self._question_data(form),
                                               client_actor())
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except NotFound:
                abort(404)
            except LIFError as error:
                apply_errors(form, error)
            else:
                flash(f"Question changed (version {draft.version}).", "success")
                return redirect(url_for(".tool", audit_id=audit.pk, tool_id=draft.pk))
        return self._tool_page(audit, tool, edit_form=form)

    @expose("/<audit_id>/tools/<tool_id>/question-action", methods=("POST",))
    def tool_question_action(self, audit_id, tool_id):
        audit = self._workspace(audit_id)
        tool = self._tool(audit, tool_id)
        form = QuestionActionForm(prefix="qa")
        if not form.validate_on_submit():
            abort(400)
        try:
            if form.move.data in ("-1", "1"):
                draft = audits.move_question(tool, form.uid.data, int(form.move.data),
                                             client_actor())
            else:
                draft = audits.remove_question(tool, form.uid.data, client_actor())
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except NotFound:
            abort(404)
        except LIFError as error:
            flash(error.message, "error")
            draft = tool
        return redirect(url_for(".tool", audit_id=audit.pk, tool_id=draft.pk))

    @expose("/<audit_id>/tools/<tool_id>/publish", methods=("POST",))
    def tool_publish(self, audit_id, tool_id):
        audit = self._workspace(audit_id)
        tool = self._tool(audit, tool_id)
        if not PublishForm(prefix="pub").validate_on_submit():
            abort(400)
        try:
            audits.publish_tool(tool, client_actor())
        except PermissionDenied:
            raise  # the policy's reason, on a 403 page
        except LIFError as error:
            flash(error.message, "error")
        else:
            flash(f"Published '{tool.name}' version {tool.version}.", "success")
        return redirect(url_for(".tool", audit_id=audit.pk, tool_id=tool.pk))

    # --- returns ----------------------------------------------------------------------
    def _assign_form(self, audit, form=None):
        form = form or AssignForm(prefix="assign")
        form.tool.choices = [(str(t.pk), str(t)) for t in audits.tools(audit) if t.published]
        return form

    def _returns_page(self, audit, assign=None, reopen=None):
        return self._page(
            "audits/returns.html", audit, "returns", assign=self._assign_form(audit, assign),
            reopen=reopen or ReopenForm(prefix="reopen"), progress=audits.progress(audit),
            items=audits.assignments(audit),
        )

    @expose("/<audit_id>/returns/")
    def returns(self, audit_id):
        return self._returns_page(self._workspace(audit_id))

    @expose("/<audit_id>/returns/assign", methods=("POST",))
    def returns_assign(self, audit_id):
        audit = self._workspace(audit_id)
        form = self._assign_form(audit, AssignForm(prefix="assign"))
        if form.validate_on_submit():
            try:
                tool = audits.get_tool(audit, form.tool.data)
                created = audits.assign_tool(audit, tool, client_actor(), to=form.to.data)
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                apply_errors(form, error)
            else:
                return self._done(f"Sent '{tool}': {created} new returns requested.",
                                  "returns", audit)
        return self._returns_page(audit, assign=form)

    @expose("/<audit_id>/returns/reopen", methods=("POST",))
    def returns_reopen(self, audit_id):
        audit = self._workspace(audit_id)
        form = ReopenForm(prefix="reopen")
        if form.validate_on_submit():
            try:
                assignment = audits.get_assignment(audit, form.assignment.data)
                audits.reopen_return(assignment, client_actor(), form.reason.data)
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                flash(error.message, "error")
            else:
                flash("The return was reopened for its agency.", "success")
            return redirect(url_for(".returns", audit_id=audit.pk))
        flash("Give the reason for reopening.", "error")
        return redirect(url_for(".returns", audit_id=audit.pk))

    # --- answers (a lead auditor's pages) -----------------------------------------------
    @expose("/<audit_id>/answers/")
    def answers(self, audit_id):
        audit = self._audit(audit_id)
        agencies = audits.answering_agencies(current_user, audit)
        if not agencies:
            abort(403)
        return self._page("audits/answers.html", audit, "answers", agencies=agencies,
                          items=audits.assignments(audit, agencies=agencies))

    @expose("/<audit_id>/answers/<assignment_id>/", methods=("GET", "POST"))
    def answer(self, audit_id, assignment_id):
        audit = self._audit(audit_id)
        try:
            assignment = audits.get_assignment(audit, assignment_id)
        except NotFound:
            abort(404)
        policy.require(current_user, "answer_for", audit, agency=assignment.agency)
        tool = assignment.tool
        form = answer_form(tool, assignment)
        if request.method == "POST":
            if form.validate_on_submit():
                submit = form.submit_return.data == "1"
                try:
                    audits.save_answers(assignment, answers_from(form, tool), client_actor(),
                                        submit=submit, base_version=form.base_version.data)
                except PermissionDenied:
                    raise  # the policy's reason, on a 403 page
                except LIFError as error:
                    apply_errors(form, error)
                else:
                    flash("Returned to the committee. Thank you." if submit
                          else "Saved; return it when it is complete.", "success")
                    if submit:
                        return redirect(url_for(".answers", audit_id=audit.pk))
                    return redirect(url_for(".answer", audit_id=audit.pk,
                                            assignment_id=assignment.pk))
        return self._page("audits/answer.html", audit, "answers", form=form, tool=tool,
                          assignment=assignment, open=audit.state in audits.ANSWER_STATES
                          and assignment.state != "returned")

    # --- findings ---------------------------------------------------------------------
    @expose("/<audit_id>/findings/")
    def findings(self, audit_id):
        audit = self._workspace(audit_id)
        return self._page("audits/findings.html", audit, "findings",
                          report=audits.report(audit), kinds=dict(QUESTION_KINDS),
                          section11=audits.section11_summary(audit)
                          if audit.audit_type == "section_11" else [])

    # --- recommendations --------------------------------------------------------------
    def _action_form(self, audit, uid, form=None):
        form = form or ActionForm(prefix=f"r{uid}")
        plans = audits.plans_for_actions(current_user, audit)
        form.plan.choices = [("", "—")] + [(str(p.pk), p.title) for p in plans]
        agencies = reference.agency_choices()
        form.agency.choices = [("", "—")] + agencies
        form.plan_agency.choices = [("", "—")] + agencies
        if request.method == "GET" and not form.plan_title.data:
            form.plan_title.data = f"Action plan: {audit.title}"[:300]
        return form

    def _recommendations_page(self, audit, bound_uid=None, bound=None):
        findings = {f.uid: f for f in audit.findings}
        forms = {r.uid: self._action_form(audit, r.uid, bound if r.uid == bound_uid else None)
                 for r in audit.recommendations}
        return self._page("audits/recommendations.html", audit, "recommendations",
                          findings=findings, forms=forms,
                          links=audits.recommendation_links(audit))

    @expose("/<audit_id>/recommendations/")
    def recommendations(self, audit_id):
        return self._recommendations_page(self._workspace(audit_id))

    @expose("/<audit_id>/recommendations/<uid>/action", methods=("POST",))
    def recommendation_action(self, audit_id, uid):
        audit = self._workspace(audit_id)
        if not any(r.uid == uid for r in audit.recommendations):
            abort(404)
        form = self._action_form(audit, uid, ActionForm(prefix=f"r{uid}"))
        if form.validate_on_submit():
            existing = form.target.data == "existing"
            if existing and not form.plan.data:
                form.plan.errors = ["Choose the plan."]
            else:
                try:
                    action = audits.recommendation_to_action(
                        audit, uid, client_actor(),
                        plan=form.plan.data if existing else None,
                        new_plan=None if existing else {
                            "title": form.plan_title.data, "kind": form.plan_kind.data,
                            "agency": form.plan_agency.data or None},
                        lead_name=form.lead_name.data, lead_email=form.lead_email.data,
                        agency=form.agency.data, due_date=form.due_date.data,
                        title=form.title.data or "",
                    )
                except PermissionDenied:
                    raise  # the policy's reason, on a 403 page
                except LIFError as error:
                    apply_errors(form, error)
                else:
                    return self._done(f"Action '{action.title}' created in plan "
                                      f"'{action.plan.title}'.", "recommendations", audit)
        return self._recommendations_page(audit, uid, form)

    # --- Section 11 -------------------------------------------------------------------
    def _outcome_form(self, audit, form=None):
        form = form or OutcomeForm(prefix="outcome")
        form.agency.choices = [(p.agency, reference.agency_name(p.agency))
                               for p in audit.participants]
        return form

    def _section11_page(self, audit, form=None):
        return self._page("audits/section11.html", audit, "section11",
                          summary=audits.section11_summary(audit),
                          form=self._outcome_form(audit, form),
                          may_record=audits.may_record_section11_outcome(audit, current_user),
                          in_place_of=audits.section11_in_place_of(audit, current_user),
                          override=audits.section11_override,
                          outcomes=dict(SECTION11_OUTCOMES), rag=dict(audits.RAG))

    @expose("/<audit_id>/section11/")
    def section11(self, audit_id):
        audit = self._workspace(audit_id)
        if audit.audit_type != "section_11":
            abort(404)
        return self._section11_page(audit)

    @expose("/<audit_id>/section11/outcome", methods=("POST",))
    def section11_outcome(self, audit_id):
        audit = self._workspace(audit_id)
        if audit.audit_type != "section_11":
            abort(404)
        form = self._outcome_form(audit, OutcomeForm(prefix="outcome"))
        if form.validate_on_submit():
            data = {name: form[name].data for name in
                    ("outcome", "challenge", "agreed_actions", "panel_date", "override_reason")}
            try:
                audits.record_section11_outcome(audit, form.agency.data, data, client_actor())
            except PermissionDenied:
                raise  # the policy's reason, on a 403 page
            except LIFError as error:
                apply_errors(form, error)
            else:
                return self._done("Panel outcome recorded.", "section11", audit)
        return self._section11_page(audit, form)


__all__ = ["AuditWorkView"]
