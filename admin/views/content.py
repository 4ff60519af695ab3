"""Admin views of each content type, grouped by who uses them."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import (
    FilterEqual,
    FilterLike,
)
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length

from config import taxonomy
from config.workflows import WORKFLOWS
from lif import policy, workflow
from lif.errors import LIFError, PermissionDenied
from lif.models import (
    Action,
    ActionPlan,
    Audit,
    InformationRequest,
    Meeting,
    PDCReview,
    Referral,
    Review,
)
from lif.models.action_plan import ACTION_STATUSES, PDC_VERDICTS, PLAN_KINDS
from lif.models.referral import CHAIR_STANCES, CRITERIA, RECOMMENDATIONS
from lif.services import audits, content, pdc, plans, reference, referrals

from .. import display
from .base import ContentView, agency_formatter, client_actor
from .fields import EmailAddress
from .plans import status_targets
from .referrals import ReferralPagesMixin


class ChoiceEqual(FilterEqual):
    """An equality filter offering fixed choices (Flask-Admin's select filter)."""

    def __init__(self, column, name, options):
        super().__init__(column, name, options=options)


def AgencyFilter(column, name="Agency"):  # noqa: N802 - reads like the other filter classes
    """Filter on an agency field, with the agencies as choices (loaded when the page renders)."""
    return FilterEqual(column, name, options=reference.agency_choices)


def state_choices(type_key):
    return [(key, spec["title"]) for key, spec in WORKFLOWS[type_key]["states"].items()]


def choice_label(choices):
    labels = dict(choices)

    def fmt(view, context, model, name):
        return labels.get(getattr(model, name), getattr(model, name) or "")

    return fmt


def review_type_formatter(view, context, model, name):
    return reference.review_type_labels().get(model.review_type, model.review_type)


def findings_formatter(view, context, model, name):
    items = "".join(
        f"<li>{escape(f.heading + ': ' if f.heading else '')}{escape(f.text)}</li>"
        for f in getattr(model, name)
    )
    return Markup(f"<ol>{items}</ol>") if items else ""


def activities_formatter(view, context, model, name):
    items = "".join(f"<li>{escape(a.text)}</li>" for a in getattr(model, name))
    return Markup(f"<ul>{items}</ul>") if items else ""


def rag_formatter(view, context, model, name):
    rag = plans.rag(model)
    return Markup(f'<span class="rag rag-{rag}">{rag.title()}</span>')


def status_formatter(view, context, model, name):
    return dict(ACTION_STATUSES).get(model.state, model.state)


LEARNING = "Reviews & learning"
PLANS = "Action plans"
AUDITS = "Audits"
CIEC = "CIEC"
COMMITTEES = "Committees"

FINDING_FORM = {"form_columns": ("uid", "heading", "text"),
                "form_overrides": {"uid": HiddenField, "text": TextAreaField},
                "form_widget_args": {"text": {"rows": 3}}}
ACTIVITY_FORM = {"form_columns": ("uid", "text"),
                 "form_overrides": {"uid": HiddenField, "text": TextAreaField},
                 "form_widget_args": {"text": {"rows": 2}}}


def keeping_stored(choices, what: str):
    """Choices for a select (``choices()`` gives them), plus the field's stored value when
    it is not one of them, named as such: an edit shows what is stored and never changes
    it unasked (typed before the field was a choice), and the person can correct it."""

    def fill(form, field):
        offered = [("", f"Choose {what}"), *choices()]
        stored = field.object_data
        if stored and stored not in dict(offered):
            offered.append((stored, f"{stored} (not on the list: choose one)"))
        return offered

    return fill


def audit_findings():
    """The findings of the audit being edited, as a recommendation's choices."""
    audit = g.get("lif_form_item")
    return [(finding.uid, f"{finding.number}. {plans.shortened(finding.text, 90)}")
            for finding in getattr(audit, "findings", None) or []]


PARTICIPANT_FORM = {
    "form_columns": ("agency", "lead_auditor"),
    "form_overrides": {"agency": SelectField},
    "form_args": {
        "agency": {"label": "Agency", "choices": keeping_stored(reference.agency_choices,
                                                                "an agency")},
        "lead_auditor": {"label": "Lead auditor's email",
                         "validators": [Length(max=254), EmailAddress()]},
    },
}
RECOMMENDATION_FORM = {
    "form_columns": ("uid", "text", "finding_uid"),
    "form_overrides": {"uid": HiddenField, "text": TextAreaField, "finding_uid": SelectField},
    "form_args": {
        "text": {"label": "Recommendation"},
        "finding_uid": {
            "label": "The finding it answers",
            "choices": lambda: [("", "None in particular"), *audit_findings()],
            "description": "One of the audit's findings as last saved (save new findings "
                           "first to choose them).",
        },
    },
    "form_widget_args": {"text": {"rows": 2}},
}


class SourceMixin:
    """Reviews and audits: the item page offers "create an action plan from these findings"."""

    details_template = "plans/source_details.html"

    def can_build_plan(self, item):
        return bool(item.findings) and policy.allows(current_user, "create",
                                                     type_key="action_plan")

    def findings_with_actions(self, item):
        answers = plans.answers_to_findings(item, current_user)
        return [(finding, answers.get(finding.uid, [])) for finding in item.findings]

    def plans_from(self, item):
        flt = policy.view_filter(current_user, "action_plan")
        if flt is None:
            return []
        return list(ActionPlan.objects(__raw__={"$and": [flt, {item.type_key: item.pk}]})
                    .only("title")[:20])


class ReviewView(SourceMixin, ContentView):
    menu_area = LEARNING
    column_list = ("title", "review_type", "date", "themes", "state", "modified_at")
    column_sortable_list = ("title", "review_type", "date", "state", "modified_at")
    column_searchable_list = ("title", "reference", "summary")
    column_filters = (
        ChoiceEqual("review_type", "Type", [(t["key"], t["label"]) for t in taxonomy.REVIEW_TYPES]),
        ChoiceEqual("themes", "Theme", list(taxonomy.THEMES)),
        ChoiceEqual("state", "State", state_choices("review")),
        "date",
    )
    column_default_sort = ("date", True)
    column_formatters = {
        **ContentView.column_formatters,
        "review_type": review_type_formatter,
        "section": choice_label(taxonomy.LEARNING_SECTIONS),
        "findings": findings_formatter,
        "activities": activities_formatter,
        "themes": lambda v, c, m, n: ", ".join(
            reference.theme_labels().get(t, t) for t in m.themes),
    }
    form_columns = (
        "title", "review_type", "section", "reference", "date", "date_label", "summary",
        "overview", "findings", "activities", "themes", "agencies", "independent_reviewer",
        "restricted", "effective", "expires",
    )
    form_subdocuments = {"findings": {"form_subdocuments": {None: FINDING_FORM}},
                         "activities": {"form_subdocuments": {None: ACTIVITY_FORM}}}
    column_labels = {**ContentView.column_labels, "review_type": "Type of review",
                     "overview": "Case overview / methodology", "effective": "Published from",
                     "expires": "Published until"}
    page_facts = ("review_type", "reference", "date", "date_label", "independent_reviewer",
                  "section", "themes", "agencies", "restricted", "effective", "expires",
                  "referral")
    page_texts = ("overview",)


class AuditView(SourceMixin, ContentView):
    menu_area = AUDITS
    details_template = "audits/audit_details.html"
    column_list = ("title", "audit_type", "date", "committee", "state", "modified_at")
    column_sortable_list = ("title", "audit_type", "date", "state", "modified_at")
    column_searchable_list = ("title", "summary", "methodology")
    column_filters = (
        ChoiceEqual("audit_type", "Type", list(taxonomy.AUDIT_TYPES)),
        ChoiceEqual("themes", "Theme", list(taxonomy.THEMES)),
        "date",
    )
    column_default_sort = ("date", True)
    column_formatters = {
        **ContentView.column_formatters,
        "audit_type": choice_label(taxonomy.AUDIT_TYPES),
        "committee": choice_label(taxonomy.COMMITTEES),
        "findings": findings_formatter,
        "activities": activities_formatter,
    }
    form_columns = (
        "title", "audit_type", "theme", "scope", "question", "methodology", "committee",
        "participants", "start_date", "due_date", "date", "sample_description", "findings",
        "recommendations", "activities", "themes", "agencies", "referred_to",
    )
    form_subdocuments = {"findings": {"form_subdocuments": {None: FINDING_FORM}},
                         "activities": {"form_subdocuments": {None: ACTIVITY_FORM}},
                         "participants": {"form_subdocuments": {None: PARTICIPANT_FORM}},
                         "recommendations": {"form_subdocuments": {None: RECOMMENDATION_FORM}}}
    form_overrides = {"theme": SelectField}
    form_args = {"theme": {"label": "Theme", "choices": keeping_stored(
        lambda: list(taxonomy.THEMES), "a theme")}}

    def create_item(self, data, actor):
        return audits.create_audit(data, actor)

    def update_item(self, item, data, actor, base_version):
        return audits.update_audit(item, data, actor, base_version=base_version)

    column_labels = {**ContentView.column_labels, "audit_type": "Type of audit",
                     "committee": "Reports to", "start_date": "Starts", "due_date": "Due to report",
                     "date": "Reported", "referred_to": "Referred to",
                     "sample_description": "Sample"}
    page_facts = ("audit_type", "theme", "committee", "start_date", "due_date", "date",
                  "date_label", "referred_to", "section", "themes", "agencies")
    page_texts = ("question", "scope", "methodology", "sample_description")

    def participants_of(self, audit):
        """``[(agency name, lead auditor)]`` of the agencies taking part."""
        return [(reference.agency_name(p.agency), p.lead_auditor) for p in audit.participants]

    def recommendations_of(self, audit):
        """``[(recommendation, the finding it answers or None, [actions made from it])]``."""
        findings = {f.uid: f for f in audit.findings}
        links = audits.recommendation_links(audit)
        return [(r, findings.get(r.finding_uid),
                 [link.action for link in links.get(r.uid, [])
                  if policy.allows(current_user, "view", link.action)])
                for r in audit.recommendations]


class ActionPlanView(ContentView):
    menu_area = PLANS
    details_template = "plans/plan_details.html"
    can_export = True
    export_types = ["csv", "xlsx"]
    column_export_list = ("title", "kind", "agency", "source_kind", "owner", "state",
                          "ratified_on", "next_pdc_review")
    column_formatters_export = {
        "kind": choice_label(PLAN_KINDS),
        "agency": lambda v, c, m, n: reference.agency_name(m.agency),
        "source_kind": lambda v, c, m, n: m.source_title,
        "state": lambda v, c, m, n: workflow.state_title(m),
    }

    def actions_of(self, plan):
        flt = policy.view_filter(current_user, "action")
        if flt is None:
            return []
        return list(Action.objects(__raw__={"$and": [flt, {"plan": plan.pk}]})
                    .order_by("due_date"))

    def rag(self, action):
        return plans.rag(action)
    column_list = ("title", "kind", "agency", "source_kind", "owner", "state", "next_pdc_review")
    column_sortable_list = ("title", "kind", "agency", "state", "next_pdc_review")
    column_searchable_list = ("title", "summary", "owner")
    column_filters = (
        ChoiceEqual("kind", "Kind", list(PLAN_KINDS)),
        AgencyFilter("agency"),
        ChoiceEqual("state", "State", state_choices("action_plan")),
        "next_pdc_review",
        "ratified_on",
    )
    column_formatters = {**ContentView.column_formatters, "kind": choice_label(PLAN_KINDS),
                         "source_kind": lambda v, c, m, n: m.source_title,
                         "source": lambda v, c, m, n: (display.item_link(m.source)
                                                       or m.source_other)}
    column_labels = {**ContentView.column_labels, "source_kind": "Source",
                     "next_pdc_review": "Next PDC review", "source": "Answers",
                     "ratified_on": "Ratified", "closed_on": "Closed", "kind": "Kind of plan",
                     "owner": "Owner"}
    page_facts = ("kind", "agency", "source", "owner", "ratified_on", "next_pdc_review",
                  "closed_on", "themes", "agencies")

    def findings_with_actions(self, plan):
        """The findings of the plan's source its actions answer, each with them."""
        source = plan.source
        if source is None:
            return []
        answers: dict = {}
        for action in self.actions_of(plan):
            answers.setdefault(action.finding_uid, []).append(action)
        return [(finding, answers[finding.uid]) for finding in source.findings
                if finding.uid in answers]
    form_columns = ("title", "kind", "agency", "source_kind", "review", "audit", "source_other",
                    "summary", "themes", "agencies", "owner")

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # A sensible start for someone whose plans are their agency's own (the policy decides
        # what may be saved).
        if request.method == "GET" and plans.own_agency_plans_only(current_user):
            form.kind.data = "single_agency"
            form.agency.data = current_user.agency
        return form


class ActionView(ContentView):
    menu_area = PLANS
    details_template = "plans/action_details.html"
    can_export = True
    export_types = ["csv", "xlsx"]
    column_export_list = ("title", "plan", "agency", "lead_name", "lead_email", "due_date",
                          "state", "rag", "completed_on", "finding_text", "description")
    column_formatters_export = {
        "plan": lambda v, c, m, n: m.plan.title if m.plan else "",
        "agency": lambda v, c, m, n: reference.agency_name(m.agency),
        "state": lambda v, c, m, n: dict(ACTION_STATUSES).get(m.state, m.state),
        "rag": lambda v, c, m, n: plans.rag(m).title(),
    }

    def rag(self, action):
        return plans.rag(action)

    def status_targets(self, action):
        return status_targets(action, current_user)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        plan_id = request.args.get("plan")
        if plan_id and request.method == "GET" and "plan" in form._fields:
            plan = form.plan.queryset.filter(pk=plan_id).first()
            if plan is not None:
                form.plan.data = plan
        if request.method == "GET" and getattr(current_user, "agency", None):
            form.agency.data = current_user.agency
        return form
    column_list = ("title", "plan", "agency", "lead_name", "due_date", "state", "rag")
    column_sortable_list = ("title", "agency", "lead_name", "due_date", "state")
    column_searchable_list = ("title", "description", "lead_name", "lead_email")
    column_filters = (
        AgencyFilter("agency"),
        ChoiceEqual("state", "Status", list(ACTION_STATUSES)),
        "due_date",
        FilterLike("lead_name", "Lead"),
    )
    column_default_sort = ("due_date", False)
    column_formatters = {**ContentView.column_formatters, "rag": rag_formatter,
                         "state": lambda v, c, m, n: status_formatter(v, c, m, n),
                         "plan": lambda v, c, m, n: m.plan.title if m.plan else ""}
    column_formatters_detail = {**column_formatters,
                                "plan": lambda v, c, m, n: display.item_link(m.plan),
                                "finding": lambda v, c, m, n: finding_formatter(m)}
    column_labels = {**ContentView.column_labels, "rag": "RAG", "state": "Status",
                     "lead_name": "Named lead", "lead_email": "Lead's email",
                     "finding": "Answers", "finding_text": "The finding it answers",
                     "completed_on": "Completed", "cancel_reason": "Why it was cancelled",
                     "last_pdc_verdict": "Last PDC verdict",
                     "last_pdc_comment": "PDC's challenge or comment"}
    page_facts = ("plan", "finding", "agency", "lead_name", "lead_email", "due_date",
                  "completed_on", "cancel_reason", "last_pdc_verdict", "last_pdc_comment",
                  "themes", "agencies")
    page_texts = ("description", "finding_text")
    form_columns = ("title", "plan", "finding_text", "description", "lead_name", "lead_email",
                    "agency", "due_date", "themes", "cancel_reason")



class PDCReviewView(ContentView):
    menu_area = COMMITTEES
    details_template = "plans/pdc_details.html"
    verdict_choices = PDC_VERDICTS

    def actions_under_review(self, review):
        return pdc.actions_under_review(review)

    def verdict_for(self, review, action):
        return pdc.verdict_for(review, action)

    def carried_over(self, review):
        return pdc.carried_over(review)

    def rag(self, action):
        return plans.rag(action)

    def may_record_verdicts(self, review):
        return pdc.may_record_verdicts(review, current_user)

    def verdict_in_place_of(self, review):
        return pdc.verdict_in_place_of(review, current_user)

    def verdict_override(self, review, verdict):
        return pdc.verdict_override(review, verdict)

    def hold_transition(self, review):
        """The "Record as held" step if this person may take it now (with why it is
        blocked, when it is), else ``None``."""
        return next((t for t in workflow.available_transitions(review, current_user)
                     if t["name"] == "hold"), None)

    @expose("/hold/", methods=("POST",))
    def hold_view(self):
        review = self.get_one(request.form.get("id"))
        if review is None:
            abort(404)
        try:
            pdc.hold(review, request.form.get("held_on", ""), client_actor(),
                     comment=request.form.get("comment", ""))
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(f"Not recorded: {error.message}", "error")
        else:
            flash(f"Recorded as held on {review.held_on:%d %B %Y}.", "success")
        return redirect(self.get_url(".details_view", id=review.pk))

    @expose("/verdict/", methods=("POST",))
    def verdict_view(self):
        review = self.get_one(request.form.get("id"))
        if review is None:
            abort(404)
        try:
            action = content.get("action", request.form.get("action"), current_user)
            pdc.record_verdict(review, action, request.form.get("verdict", ""),
                               request.form.get("comment", ""), client_actor(),
                               override_reason=request.form.get("override_reason", ""))
        except LIFError as error:
            if isinstance(error, PermissionDenied):
                raise
            flash(f"Verdict not recorded: {error.message}", "error")
        else:
            flash(f"Verdict recorded for '{action.title}'.", "success")
        return redirect(f"{self.get_url('.details_view', id=review.pk)}#verdict-{action.pk}")
    column_list = ("title", "plan", "scheduled_for", "held_on", "state")
    column_sortable_list = ("title", "scheduled_for", "held_on", "state")
    column_searchable_list = ("title", "minutes")
    column_filters = ("scheduled_for",)
    column_formatters = {**ContentView.column_formatters,
                         "plan": lambda v, c, m, n: m.plan.title if m.plan else ""}
    # "held on" is recorded with "Record as held" (the form on the review's page).
    form_columns = ("title", "plan", "scheduled_for", "attendees", "minutes")
    column_labels = {**ContentView.column_labels, "scheduled_for": "Scheduled for",
                     "held_on": "Held on", "plan": "Plan under review"}
    column_formatters_detail = {**column_formatters,
                                "plan": lambda v, c, m, n: display.item_link(m.plan)}
    page_facts = ("plan", "scheduled_for", "held_on", "attendees")
    page_texts = ("minutes",)


def finding_formatter(action) -> Markup | str:
    """The finding an action answers, as "Finding 3 of <source>", linked to it."""
    source, finding = plans.finding_of(action)
    if finding is None:
        return ""
    link = display.item_link(source)
    if not link:
        return f"Finding {finding.number}"
    href = f"{url_for(f'{source.type_key}.details_view', id=source.pk)}#finding-{finding.number}"
    return Markup(f'<a href="{escape(href)}">Finding {finding.number} of '
                  f'{escape(link.striptags())}</a>')


def personal_formatter(view, context, model, name):
    if not view.redaction(model).shows_personal:
        return Markup('<em class="text-muted">Restricted</em>')
    value = getattr(model, name)
    people = value if isinstance(value, list) else ([value] if value else [])
    rows = []
    for person in people:
        bits = [escape(person.name)]
        if person.role:
            bits.append(escape(person.role))
        if person.date_of_birth:
            bits.append(f"born {display.date(person.date_of_birth)}")
        if person.date_of_death:
            bits.append(f"died {display.date(person.date_of_death)}")
        rows.append(", ".join(str(b) for b in bits))
    return Markup("<br>".join(rows))


def recorded_formatters() -> dict:
    """The CIEC recommendation and the Chair's decision as the record holds them: shown once
    their transition recorded them (never a value stored otherwise), marked when someone
    recorded them in place of those they belong to."""
    stances = dict(CHAIR_STANCES)

    def shown(of, value):
        def fmt(view, context, model, name):
            recorded = of(model)
            return value(recorded, model) if recorded else ""
        return fmt

    rec, dec = referrals.recommendation_of, referrals.decision_of
    return {
        "recommendation": shown(rec, lambda r, m: r.with_override(r.label)),
        "recommendation_rationale": shown(rec, lambda r, m: r.rationale),
        "decision": shown(dec, lambda r, m: r.with_override(r.label)),
        "chair_stance": shown(dec, lambda r, m: stances.get(m.chair_stance, "")),
        "decision_rationale": shown(dec, lambda r, m: r.rationale),
        "decided_on": shown(dec, lambda r, m: f"{m.decided_on:%d %b %Y}"
                            if m.decided_on else ""),
        "reviewers": shown(dec, lambda r, m: ", ".join(m.reviewers)),
    }


class ReferralView(ReferralPagesMixin, ContentView):
    menu_area = CIEC
    column_list = ("title", "agency", "notified_on", "recommendation", "decision", "state")
    column_sortable_list = ("title", "agency", "notified_on", "state")
    column_searchable_list = ("title",)
    column_filters = (AgencyFilter("agency"),
                      ChoiceEqual("recommendation", "Recommendation", list(RECOMMENDATIONS)),
                      "notified_on")
    column_export_exclude_list = policy.personal_fields(Referral)
    column_formatters_export = {**ContentView.column_formatters_export, **recorded_formatters()}
    column_details_list = (
        "title", "state", "reasons", "case_summary", "child", "significant_people", "agency",
        "agencies", "named_lead", "referred_by", "reviewed_with_lead_on", "reviewed_with",
        "completed_on", "notified_on", "criteria", "meeting", "recommendation",
        "recommendation_rationale", "chair_stance", "decision", "decision_rationale",
        "decided_on", "reviewers", "created_at", "modified_at",
    )
    column_formatters = {**ContentView.column_formatters,
                         "child": personal_formatter, "significant_people": personal_formatter,
                         **recorded_formatters(),
                         "criteria": lambda v, c, m, n: Markup("<br>").join(
                             dict(CRITERIA).get(k, k) for k in m.criteria),
                         "meeting": lambda v, c, m, n: m.meeting.title if m.meeting else ""}
    column_labels = {**ContentView.column_labels, "title": "Case reference",
                     "reasons": "Reason(s) for the request", "notified_on": "LSCB notified"}
    form_columns = ("title", "reasons", "case_summary", "child", "significant_people", "agency",
                    "agencies", "named_lead", "reviewed_with_lead_on", "reviewed_with",
                    "completed_on", "notified_on", "criteria")



class InformationRequestView(ContentView):
    menu_area = CIEC
    column_list = ("title", "referral", "agency", "issued_on", "due_on", "state")
    column_sortable_list = ("title", "agency", "issued_on", "due_on", "state")
    column_filters = (AgencyFilter("agency"), "due_on")
    column_formatters = {**ContentView.column_formatters,
                         "referral": lambda v, c, m, n: m.referral.title if m.referral else ""}
    details_template = "referrals/request_details.html"
    # The response is sent with "Send response" (the form on the request's page).
    form_columns = ("title",)
    column_labels = {**ContentView.column_labels, "issued_on": "Issued", "due_on": "Due",
                     "responded_by": "Answered by", "responded_on": "Answered on",
                     "key_practitioners": "Key practitioners"}
    column_formatters_detail = {**column_formatters,
                                "referral": lambda v, c, m, n: display.item_link(m.referral)}
    page_facts = ("referral", "agency", "issued_on", "due_on", "responded_by", "responded_on")

    def may_answer(self, request_):
        return referrals.may_answer(request_, current_user)

    def returned(self, request_):
        return referrals.returned_text(request_)

    @expose("/answer/", methods=("POST",))
    def answer_view(self):
        item = self.get_one(request.form.get("id"))
        if item is None:
            abort(404)
        try:
            referrals.answer_request(item, request.form.get("response", ""),
                                     request.form.get("key_practitioners", ""), client_actor())
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(f"Not sent: {error.message}", "error")
            return self.details_again(item.reload(), request.form)
        else:
            flash("The response is sent to the CIEC.", "success")
        return redirect(self.get_url(".details_view", id=item.pk))


class MeetingView(ContentView):
    menu_area = COMMITTEES
    column_list = ("title", "committee", "date", "state")
    column_sortable_list = ("title", "committee", "date", "state")
    column_searchable_list = ("title", "minutes")
    column_filters = (ChoiceEqual("committee", "Committee", list(taxonomy.COMMITTEES)), "date")
    column_default_sort = ("date", True)
    column_formatters = {**ContentView.column_formatters,
                         "committee": choice_label(taxonomy.COMMITTEES)}
    form_columns = ("title", "committee", "date", "location", "agenda", "attendees", "minutes")
    details_template = "lif/meeting_details.html"
    # An agenda item keeps the referral it is about (item_ref): kept, never shown or typed.
    form_subdocuments = {"agenda": {"form_subdocuments": {None: {
        "form_columns": ("part", "title", "item_ref", "decision"),
        "form_overrides": {"item_ref": HiddenField, "decision": TextAreaField},
        "form_widget_args": {"decision": {"rows": 2}},
    }}}}
    page_facts = ("committee", "date", "location", "attendees")
    page_texts = ("minutes",)


CONTENT_VIEWS = [
    (ActionPlanView, ActionPlan, "Plans", PLANS, "action_plan"),
    (ActionView, Action, "Actions", PLANS, "action"),
    (ReviewView, Review, "Reviews", LEARNING, "review"),
    (AuditView, Audit, "Audits", AUDITS, "audit"),
    (ReferralView, Referral, "Referrals", CIEC, "referral"),
    (InformationRequestView, InformationRequest, "Requests for information", CIEC,
     "information_request"),
    (PDCReviewView, PDCReview, "PDC reviews", COMMITTEES, "pdc_review"),
    (MeetingView, Meeting, "Meetings", COMMITTEES, "meeting"),
]

__all__ = ["CONTENT_VIEWS", "agency_formatter"]
