"""The audit workspace's forms: every page of ``admin/views/audits.py`` posts one of these.

Flask-WTF forms (CSRF on each), built per page where the choices depend on the audit (a quota
per agency, one field per question of a tool version). They check shape only; the rules are
the service's (``lif.services.audits``), and its errors go back to these fields.
"""

from __future__ import annotations

from flask import request
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

from lif.models.action_plan import PLAN_KINDS
from lif.models.audit_work import QUESTION_KINDS, SECTION11_OUTCOMES
from lif.services import audits


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

