"""CIEC pages beyond the lists: the recommendation and decision forms, and the register."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user

from documents import spreadsheets
from lif import audit_trail, policy, workflow
from lif.errors import LIFError, NotFound, PermissionDenied
from lif.models.referral import CHAIR_STANCES, RECOMMENDATIONS
from lif.services import content, reference, referrals

from .base import SecureView, client_actor

REGISTER_COLUMNS = [
    ("reference", "Case reference"), ("agency", "Referring agency"),
    ("notified_on", "LSCB notified"), ("stage", "Stage"), ("holder", "Held by"),
    ("meeting", "CIEC meeting"), ("requests", "Information returned"),
    ("recommendation", "CIEC recommendation"), ("decision", "Chair's decision"),
    ("decision_due", "Decision due"), ("decision_rag", "Decision clock"),
    ("clocks", "Statutory clocks"),
    ("panel_notice_due", "National Panel notice due"),
    ("panel_notice_sent", "National Panel notice sent"),
]


_CLOCK_WORDS = {"red": "red", "amber": "amber", "green": "green", "done": "done in time",
                "late": "done late"}


def _cell(row, key):
    if key == "agency":
        return reference.agency_name(row["agency"])
    if key == "requests":
        done = row["requests_total"] - row["requests_out"]
        return f"{done} of {row['requests_total']}" if row["requests_total"] else ""
    if key == "clocks":
        return "; ".join(f"{c['label']}: {c['due'].isoformat()} ({_CLOCK_WORDS[c['rag']]})"
                         for c in row["clocks"] if c["due"])
    value = row.get(key)
    return value.isoformat() if hasattr(value, "isoformat") else (value or "")


class ReferralRegisterView(SecureView):
    """The LSCB CIEC/SCR spreadsheet as a live view: every case, its stage, clocks and holder."""

    menu_area = "CIEC"

    def _rows(self):
        return referrals.register(current_user, state=request.args.get("state") or None,
                                  agency=request.args.get("agency") or None)

    @expose("/")
    def index(self):
        return self.render("referrals/register.html", rows=self._rows(),
                           stages=referrals.stages(), agencies=reference.agency_choices(),
                           columns=REGISTER_COLUMNS, cell=_cell)

    @expose("/export/<kind>")
    def export(self, kind):
        policy.require(current_user, "export", type_key="referral")
        rows = self._rows()
        header = [label for _, label in REGISTER_COLUMNS]
        table = [[_cell(row, key) for key, _ in REGISTER_COLUMNS] for row in rows]
        audit_trail.record("export", client_actor(), object_type="referral",
                           detail=f"CIEC register as {kind}")
        if kind == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            writer.writerows([[spreadsheets.safe_text(v) for v in r] for r in table])
            return Response(buffer.getvalue(), mimetype="text/csv", headers={
                "Content-Disposition": "attachment; filename=ciec-register.csv"})
        if kind == "xlsx":
            return send_file(io.BytesIO(spreadsheets.xlsx(header, table, title="CIEC register")),
                             mimetype=spreadsheets.XLSX_TYPE, as_attachment=True,
                             download_name="ciec-register.xlsx")
        abort(404)


class ReferralPagesMixin:
    """The recommendation, decision and notice forms on a referral's page."""

    details_template = "referrals/referral_details.html"
    recommendations = RECOMMENDATIONS
    stances = CHAIR_STANCES

    def _load(self):
        try:
            return content.get("referral", request.form.get("id"), current_user)
        except NotFound:
            abort(404)

    def _back(self, item):
        return redirect(url_for(".details_view", id=item.pk))

    def _record(self, item, record, done):
        """Record what the form gives with ``record()``; on a refusal, the page again with what
        was typed and the reason; else ``done()``'s words and back to the page."""
        try:
            record()
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(f"Not recorded: {error.message}", "error")
            return self.details_again(item.reload(), request.form)
        flash(done(), "success")
        return self._back(item)

    @expose("/recommend/", methods=("POST",))
    def recommend_view(self):
        item = self._load()
        return self._record(item, lambda: referrals.recommend(
            item, request.form.get("recommendation", ""), request.form.get("rationale", ""),
            client_actor(), override_reason=request.form.get("override_reason", "")),
            lambda: "The CIEC recommendation is recorded and the case is with the Chair.")

    @expose("/decide/", methods=("POST",))
    def decide_view(self):
        item = self._load()
        reviewers = [r for r in request.form.get("reviewers", "").splitlines() if r.strip()]
        return self._record(item, lambda: referrals.decide(
            item, request.form.get("stance", ""), request.form.get("decision", ""),
            request.form.get("rationale", ""), client_actor(), reviewers=reviewers,
            override_reason=request.form.get("override_reason", "")),
            lambda: "The Chair's decision is recorded; the notices are drafted below.")

    @expose("/record/", methods=("POST",))
    def record_step_view(self):
        """Take a step that records what a person gives (``referrals.recorded_steps``)."""
        item = self._load()
        return self._record(item, lambda: referrals.record_step(
            item, request.form.get("step", ""), request.form.to_dict(), client_actor(),
            override_reason=request.form.get("override_reason", "")),
            lambda: f"Recorded. '{item}' is now: {workflow.state_title(item)}.")

    def recorded_steps(self, item):
        return referrals.recorded_steps(item, current_user)

    @expose("/notice-sent/", methods=("POST",))
    def notice_sent_view(self):
        item = self._load()
        try:
            referrals.mark_notice_sent(item, request.form.get("kind", ""), client_actor())
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(error.message, "error")
        return self._back(item)

    @expose("/involved/", methods=("POST",))
    def involved_view(self):
        item = self._load()
        try:
            referrals.set_involved(item, request.form.getlist("agencies"), client_actor(),
                                   request.form.get("reason", ""))
        except PermissionDenied:
            raise
        except LIFError as error:
            flash(f"Not changed: {error.message}", "error")
        else:
            flash("The involved agencies are recorded.", "success")
        return self._back(item)

    def may_set_involved(self, item):
        return referrals.may_set_involved(item, current_user)

    def involved_names(self, item):
        return ", ".join(reference.agency_name(a) for a in sorted(policy.involved_agencies(item)))

    def agency_choices(self):
        return reference.agency_choices()

    def clocks_of(self, item):
        return referrals.clocks_of(item)

    def requests_of(self, item):
        return referrals.requests_of(item)

    def returned(self, request_):
        return referrals.returned_text(request_)

    def may_recommend(self, item):
        return referrals.may_recommend(item, current_user)

    def may_decide(self, item):
        return referrals.may_decide(item, current_user)

    def in_place_of(self, item, transition):
        return referrals.recording_in_place_of(item, current_user, transition)

    def recommendation_of(self, item):
        return referrals.recommendation_of(item)

    def decision_of(self, item):
        return referrals.decision_of(item)
