"""Audits end to end, as the QAEC runs them: plan, population, sample, tools, returns,
findings with the published figures, recommendations into actions, Section 11.

The Front Door audit ("Application of LSCB Levels of Need at the Front Door", Appendix One) is
rebuilt from answers entered here: 50 cases drawn 10 per agency, 32 audit tools returned.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest

from documents.errors import DocumentError
from documents.tables import read_table
from lif import workflow
from lif.errors import InvalidInput, PermissionDenied
from lif.models import (
    Action,
    ActionPlan,
    Audit,
    AuditCase,
    AuditTool,
    RecommendationLink,
    SampleDraw,
    Section11Outcome,
    ToolAssignment,
)
from lif.models.audit import Recommendation
from lif.models.learning import Finding
from lif.services import audits, content

from ..conftest import PASSWORD, AuthActions, make_user

PARTICIPANTS = [
    {"agency": "police", "lead_auditor": "auditor.police@example.org"},
    {"agency": "education", "lead_auditor": "auditor.schools@example.org"},
    {"agency": "alder_hey", "lead_auditor": "auditor.health@example.org"},
    {"agency": "nspcc", "lead_auditor": "auditor.nspcc@example.org"},
    {"agency": "probation", "lead_auditor": "auditor.probation@example.org"},
]
AGENCIES = [p["agency"] for p in PARTICIPANTS]
BANDS = ["0-4", "5-11", "12-13", "14-17"]

Q_GUIDANCE = "Did you use the LSCB Responding to Need Guidance and Levels of Need Framework?"
Q_WRITTEN = "Was the referral made or followed up in writing (VPRF1 or MARF)?"
Q_MANAGER = "Was the referral discussed with your line manager?"
Q_EHAT = "Did you consider an EHAT before the referral?"
Q_CONSENT = "Did you obtain consent before making the referral?"
Q_OUTCOME = "What was the outcome of the referral?"
Q_WHY = "Why did you refer when you did?"
OUTCOMES = ["Single assessment", "Referred to another agency", "Information and advice",
            "No further action", "Did not know the outcome"]
FRONT_DOOR_TOOL = [
    {"text": Q_GUIDANCE, "kind": "yes_no_na"},
    {"text": Q_WRITTEN, "kind": "yes_no_na"},
    {"text": Q_MANAGER, "kind": "yes_no_na"},
    {"text": Q_EHAT, "kind": "yes_no_na"},
    {"text": Q_CONSENT, "kind": "yes_no_na"},
    {"text": Q_OUTCOME, "kind": "single", "options": OUTCOMES},
    {"text": Q_WHY, "kind": "text", "required": False},
]


# --- helpers --------------------------------------------------------------------------------


def qaec_user():
    return make_user("qaec")


def lead_auditor(agency: str):
    """The participant's named lead auditor: a ``lead`` user of that agency."""
    email = next(p["lead_auditor"] for p in PARTICIPANTS if p["agency"] == agency)
    return make_user("lead", agency, email=email)


def plan(actor, **extra) -> Audit:
    data = {
        "title": "Application of LSCB Levels of Need at the Front Door",
        "audit_type": "multi_agency", "theme": "front_door",
        "scope": "Referrals to Careline between December 2015 and February 2016",
        "question": "Are thresholds to access assessment and services clearly and "
                    "consistently applied?",
        "participants": PARTICIPANTS, "start_date": dt.date(2016, 3, 1),
        "due_date": dt.date(2016, 11, 30), "committee": "qaec",
    }
    return audits.plan_audit({**data, **extra}, actor)


def population_csv(per_agency: int = 20, agencies=AGENCIES) -> bytes:
    """``per_agency`` referrals from each agency, ages and genders spread evenly."""
    rows = ["Case reference,Referring agency,Age band,Gender,Area,Ethnicity,Referral date"]
    number = 0
    for agency in agencies:
        for k in range(per_agency):
            number += 1
            rows.append(f"FD-{number:03d},{agency},{BANDS[k % 4]},{'F' if k % 2 else 'M'},"
                        f"{'North' if k % 3 else 'South'},White British,"
                        f"2016-01-{k % 28 + 1:02d}")
    return ("\n".join(rows) + "\n").encode()


def import_population(audit: Audit, name: str, data: bytes, actor):
    """Import a population file as the upload page does: the one table reader, then the
    service."""
    return audits.import_population(audit, read_table(name, data), actor, source=name)


def to_fieldwork(audit: Audit, actor) -> Audit:
    workflow.fire(audit, "start_sampling", actor)
    workflow.fire(audit, "start_fieldwork", actor)
    return audit


def spread(**counts) -> list[str]:
    """``spread(yes=1, no=7)`` → ``["yes", "no", "no", ...]``."""
    return [value for value, n in counts.items() for _ in range(n)]


# Who said what, per agency, in the order of that agency's returns (32 in all), as the
# report describes: the 19 not using the guidance were NSPCC, Health and Police; the 10
# written follow-ups were 8 Police VPRF1s and 2 school MARFs; the 3 EHATs considered were one
# school, one Alder Hey and one police referral.
RETURNS = {"police": 8, "education": 7, "alder_hey": 6, "nspcc": 6, "probation": 5}
ANSWERS = {
    Q_GUIDANCE: {"police": spread(yes=1, no=7), "education": spread(yes=7),
                 "alder_hey": spread(no=6), "nspcc": spread(no=6), "probation": spread(yes=5)},
    Q_WRITTEN: {"police": spread(yes=8), "education": spread(yes=2, no=5),
                "alder_hey": spread(no=6), "nspcc": spread(no=6), "probation": spread(no=5)},
    Q_MANAGER: {"police": spread(yes=3, no=5), "education": spread(yes=3, no=4),
                "alder_hey": spread(yes=2, no=4), "nspcc": spread(na=6),
                "probation": spread(yes=2, no=3)},
    Q_EHAT: {"police": spread(yes=1, no=7), "education": spread(yes=1, no=6),
             "alder_hey": spread(yes=1, no=5), "nspcc": spread(no=6), "probation": spread(no=5)},
    Q_CONSENT: {"police": spread(yes=4, no=4), "education": spread(yes=5, no=2),
                "alder_hey": spread(yes=2, no=4), "nspcc": spread(yes=1, no=5),
                "probation": spread(yes=3, no=2)},
}
OUTCOME_ANSWERS = ([OUTCOMES[0]] * 10 + [OUTCOMES[1]] * 7 + [OUTCOMES[2]] * 3
                   + [OUTCOMES[3]] * 5 + [OUTCOMES[4]] * 7)


def front_door(actor):
    """The Front Door audit in fieldwork: 100 referrals, 10 per agency sampled, tool sent."""
    audit = plan(actor)
    import_population(audit, "referrals.csv", population_csv(), actor)
    audits.draw_per_agency(audit, {a: 10 for a in AGENCIES}, actor, seed=2016)
    tool = audits.create_tool(audit, "Referrer audit tool", actor, questions=FRONT_DOOR_TOOL)
    audits.publish_tool(tool, actor)
    to_fieldwork(audit, actor)
    assert audits.assign_tool(audit, tool, actor, to="referring") == 50
    return audit, tool


def answer_front_door(audit: Audit, tool: AuditTool) -> None:
    """Each agency's lead auditor returns that agency's share of the 32 tools."""
    uids = {q.text: q.uid for q in tool.questions}
    outcome_index = 0
    for agency, count in RETURNS.items():
        auditor = lead_auditor(agency)
        mine = audits.assignments(audit, agency=agency)[:count]
        for index, assignment in enumerate(mine):
            answers = {uids[text]: per_agency[agency][index]
                       for text, per_agency in ANSWERS.items()}
            answers[uids[Q_OUTCOME]] = OUTCOME_ANSWERS[outcome_index]
            outcome_index += 1
            audits.save_answers(assignment, answers, auditor, submit=True)


def by_text(rows):
    return {row.question.text: row for row in rows}


def shown(breakdown) -> dict[str, str]:
    return {option.value: option.text for option in breakdown.options}


def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        AuditCase, SampleDraw, AuditTool, ToolAssignment, Action, ActionPlan,
        RecommendationLink, Section11Outcome)}


# --- percentages ----------------------------------------------------------------------------


@pytest.mark.parametrize(("parts", "published"), [
    ([10, 22], [31, 69]),
    ([10, 16, 6], [31, 50, 19]),
    ([29, 3], [91, 9]),
    ([15, 17], [47, 53]),
    ([10, 7, 3, 5, 7], [31, 22, 9, 16, 22]),
])
def test_largest_remainder_gives_the_published_front_door_percentages(parts, published):
    assert audits.percentages(parts) == published
    assert sum(audits.percentages(parts)) == 100


def test_19_of_32_is_59_not_the_published_60():
    # The report prints "19 (60%) ... 13 (40%)". 19/32 is 59.375% and 13/32 is 40.625%: a rule
    # giving 60/40 must round 40.625 down, yet the same report rounds 29/32 = 90.625% up to
    # 91%. No rounding rule gives both, so the report's 60/40 is a slip; we print 59/41.
    assert audits.percentages([19, 13]) == [59, 41]
    assert audits.percentages([29, 3]) == [91, 9]


def test_percentages_edge_cases():
    assert audits.percentages([]) == []
    assert audits.percentages([0, 0]) == [0, 0]
    assert audits.percentages([1, 1, 1]) == [34, 33, 33]
    assert audits.percent(6, 32) == 19 and audits.percent(10, 32) == 31
    assert audits.percent(1, 0) == 0
    assert audits.format_count(19, 59) == "19 (59%)"


# --- the Front Door audit -------------------------------------------------------------------


def test_front_door_figures_from_32_returned_tools(clean_db):
    qaec = qaec_user()
    audit, tool = front_door(qaec)
    answer_front_door(audit, tool)

    rows = by_text(audits.findings(audit, tool))
    assert all(row.overall.answered == 32 for text, row in rows.items() if text != Q_WHY)
    guidance = shown(rows[Q_GUIDANCE].overall)
    assert guidance["no"] == "19 (59%)" and guidance["yes"] == "13 (41%)"  # printed 60%/40%
    written = shown(rows[Q_WRITTEN].overall)
    assert written["yes"] == "10 (31%)" and written["no"] == "22 (69%)"
    manager = shown(rows[Q_MANAGER].overall)
    assert (manager["yes"], manager["no"], manager["na"]) == ("10 (31%)", "16 (50%)", "6 (19%)")
    ehat = shown(rows[Q_EHAT].overall)
    assert ehat["no"] == "29 (91%)" and ehat["yes"] == "3 (9%)"
    consent = shown(rows[Q_CONSENT].overall)
    assert consent["yes"] == "15 (47%)" and consent["no"] == "17 (53%)"
    outcome = shown(rows[Q_OUTCOME].overall)
    assert outcome[OUTCOMES[0]] == "10 (31%)"
    assert outcome[OUTCOMES[1]] == "7 (22%)" and outcome[OUTCOMES[4]] == "7 (22%)"
    assert rows[Q_WHY].overall.answered == 0 and rows[Q_WHY].texts == []

    # By agency: who did not use the guidance, who followed up in writing.
    agencies = {key: breakdown for key, _, breakdown in rows[Q_GUIDANCE].by_agency}
    assert shown(agencies["nspcc"])["no"] == "6 (100%)"
    assert shown(agencies["police"]) == {"yes": "1 (12%)", "no": "7 (88%)", "na": "0 (0%)"}
    assert {k for k, b in agencies.items() if shown(b)["no"] != "0 (0%)"} == {
        "nspcc", "alder_hey", "police"}
    written_by = {key: shown(b)["yes"] for key, _, b in rows[Q_WRITTEN].by_agency}
    assert written_by["police"] == "8 (100%)" and written_by["education"] == "2 (29%)"

    # Who has not returned what: 18 of 50 outstanding.
    progress = {row.agency: row for row in audits.progress(audit)}
    assert sum(row.returned for row in progress.values()) == 32
    assert {a: len(row.outstanding) for a, row in progress.items()} == {
        "police": 2, "education": 3, "alder_hey": 4, "nspcc": 4, "probation": 5}
    pending = {p.agency: p for p in audits.pending_returns(audit)}
    assert pending["probation"].lead_auditor == "auditor.probation@example.org"
    assert len(pending["probation"].case_refs) == 5
    assert pending["probation"].tools == ["Referrer audit tool (version 1)"]


def test_pending_returns_only_while_the_tools_are_out(clean_db):
    qaec = qaec_user()
    audit, tool = front_door(qaec)
    assert len(audits.pending_returns(audit)) == 5
    audit.findings = [Finding(text="Referrals were pitched appropriately.")]
    content.update(audit, {"findings": audit.findings}, qaec, base_version=audit.version)
    workflow.fire(audit, "record_findings", qaec)
    assert audits.pending_returns(audit) == []


def test_weekly_reminders_to_lead_auditors_for_tools_not_returned(clean_db):
    from lif.models import Notification
    from lif.services import sweeps

    qaec = qaec_user()
    audit, _tool = front_door(qaec)
    outstanding = {p.agency for p in audits.pending_returns(audit)}
    monday = dt.datetime(2026, 11, 30, 9)
    sweeps.send_audit_return_reminders(monday)
    sweeps.send_audit_return_reminders(monday + dt.timedelta(days=2))  # same week: nothing new
    sent = Notification.objects(key__startswith=f"audit:{audit.pk}:")
    assert sent.count() == len(outstanding)
    assert {n.recipient for n in sent} <= {p["lead_auditor"] for p in PARTICIPANTS}
    sweeps.send_audit_return_reminders(monday + dt.timedelta(days=7))
    assert Notification.objects(key__startswith=f"audit:{audit.pk}:").count() == 2 * len(
        outstanding)


# --- sampling -------------------------------------------------------------------------------


def test_same_seed_gives_the_same_sample(clean_db):
    qaec = qaec_user()
    first, second = plan(qaec), plan(qaec, title="The same audit, again")
    for audit in (first, second):
        import_population(audit, "referrals.csv", population_csv(), qaec)
    a = audits.draw_random(first, 10, qaec, seed=424242)
    b = audits.draw_random(second, 10, qaec, seed=424242)
    assert a.case_refs == b.case_refs and len(set(a.case_refs)) == 10
    assert audits.reproduce_draw(SampleDraw.objects.get(pk=a.pk)) == a.case_refs
    assert a.seed == 424242 and a.pool == sorted(a.pool) and len(a.pool) == 100
    in_sample = set(AuditCase.objects(audit=first, in_sample=True).scalar("case_ref"))
    assert in_sample == set(a.case_refs)
    case = AuditCase.objects.get(audit=first, case_ref=a.case_refs[0])
    assert "seed 424242" in case.sample_reason and case.drawn_by.pk == a.pk

    # A different seed draws differently; no seed picks one and stores it.
    audits.withdraw_draw(second, b.number, qaec)
    c = audits.draw_random(second, 10, qaec, seed=7)
    assert c.case_refs != a.case_refs
    d = audits.draw_random(second, 5, qaec)
    assert d.seed is not None and audits.reproduce_draw(SampleDraw.objects.get(pk=d.pk)) == \
        d.case_refs
    assert not set(d.case_refs) & set(c.case_refs)


def test_stratified_sampling_respects_quotas_and_top_up_by_criteria(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    import_population(audit, "referrals.csv", population_csv(), qaec)
    quotas = {"police": 10, "education": 10, "alder_hey": 4, "nspcc": 10, "probation": 7}
    draw = audits.draw_per_agency(audit, quotas, qaec, seed=99)
    sampled = list(AuditCase.objects(audit=audit, in_sample=True))
    assert {a: sum(c.agency == a for c in sampled) for a in quotas} == quotas
    assert audits.reproduce_draw(SampleDraw.objects.get(pk=draw.pk)) == draw.case_refs

    makeup = audits.sample_makeup(audit)
    police = next(row for row in makeup["agency"] if row.value == "police")
    assert (police.population, police.population_pct) == (20, 20)
    assert (police.sample, police.sample_pct) == (10, 24)  # 10 of 41
    assert sum(row.sample_pct for row in makeup["age_band"]) == 100
    assert sum(row.sample for row in makeup["gender"]) == 41

    # "A further 6 cases of children under 12."
    top = audits.draw_top_up(audit, 6, {"age_band": ["0-4", "5-11"]}, qaec, seed=12,
                             reason="The random sample leant towards 14-17")
    added = AuditCase.objects(audit=audit, case_ref__in=top.case_refs)
    assert len(added) == 6 and all(c.age_band in ("0-4", "5-11") for c in added)
    assert AuditCase.objects(audit=audit, in_sample=True).count() == 47
    assert "leant towards 14-17" in added[0].sample_reason

    spare = sorted(AuditCase.objects(audit=audit, in_sample=False).scalar("case_ref"))[:2]
    picked = audits.hand_pick(audit, spare, "Heard at MACSE more than once", qaec)
    assert picked.seed is None and len(picked.case_refs) == 2


# --- answering ------------------------------------------------------------------------------


def test_lead_auditor_answers_only_for_their_agency(clean_db):
    qaec = qaec_user()
    audit, tool = front_door(qaec)
    police = audits.assignments(audit, agency="police")[0]
    nspcc_lead = lead_auditor("nspcc")
    with pytest.raises(PermissionDenied):
        audits.save_answers(police, {}, nspcc_lead)
    with pytest.raises(PermissionDenied):
        audits.save_answers(police, {}, qaec)  # runs the audit, answers for no agency
    assert ToolAssignment.objects.get(pk=police.pk).state == "assigned"

    # The named lead auditor may hold any role: found by email.
    named = make_user("pdc", email="auditor.police@example.org")
    assert audits.may_answer_for(named, audit, "police")
    assert not audits.may_answer_for(named, audit, "nspcc")
    # A lead of the agency who is not the named auditor answers too.
    deputy = make_user("lead", "police", email="deputy.police@example.org")
    uid = tool.questions[0].uid
    saved = audits.save_answers(police, {uid: "yes"}, deputy)
    assert saved.state == "in_progress" and saved.answers == {uid: "yes"}
    assert audits.answering_agencies(deputy, audit) == ["police"]

    # Returning needs every required question; errors name the question.
    with pytest.raises(InvalidInput) as error:
        audits.save_answers(saved, {uid: "maybe"}, named, submit=True)
    assert error.value.errors[f"q_{uid}"] == "Answer yes, no or not applicable."
    assert f"q_{tool.questions[1].uid}" in error.value.errors
    assert ToolAssignment.objects.get(pk=police.pk).answers == {uid: "yes"}


def test_answers_only_during_fieldwork_and_stale_saves_conflict(clean_db):
    from lif.errors import Conflict

    qaec = qaec_user()
    audit = plan(qaec)
    import_population(audit, "r.csv", population_csv(2), qaec)
    audits.draw_random(audit, 2, qaec, seed=1)
    tool = audits.create_tool(audit, "T", qaec, questions=[{"text": "Q", "kind": "text"}])
    audits.publish_tool(tool, qaec)
    audits.assign_tool(audit, tool, qaec)
    assignment = audits.assignments(audit)[0]
    auditor = lead_auditor(assignment.agency)
    with pytest.raises(InvalidInput, match="fieldwork"):
        audits.save_answers(assignment, {}, auditor)
    to_fieldwork(audit, qaec)
    assignment.reload()
    stale = assignment.version
    audits.save_answers(assignment, {tool.questions[0].uid: "First"}, auditor,
                        base_version=stale)
    with pytest.raises(Conflict):
        audits.save_answers(assignment, {tool.questions[0].uid: "Second"}, auditor,
                            base_version=stale)


# --- bad input: a clear message, nothing stored ---------------------------------------------


def test_sample_larger_than_population_stores_nothing(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    import_population(audit, "r.csv", population_csv(4), qaec)
    before = counts()
    with pytest.raises(InvalidInput) as error:
        audits.draw_random(audit, 21, qaec, seed=1)
    assert error.value.message.startswith("The sample (21) is larger than its population (20")
    with pytest.raises(InvalidInput, match="larger than the 10 cases"):
        audits.draw_top_up(audit, 11, {"age_band": ["0-4", "5-11"]}, qaec)
    assert counts() == before
    assert AuditCase.objects(in_sample=True).count() == 0


def test_quota_for_agency_with_no_cases_stores_nothing(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    import_population(audit, "r.csv", population_csv(3, ["police", "nspcc"]), qaec)
    before = counts()
    with pytest.raises(InvalidInput) as error:
        audits.draw_per_agency(audit, {"police": 2, "probation": 1}, qaec, seed=1)
    assert "National Probation Service" in error.value.message
    assert "has no cases in the population" in error.value.message
    assert "quota_probation" in error.value.errors
    with pytest.raises(InvalidInput, match="a quota of 4 is larger than its 3 cases"):
        audits.draw_per_agency(audit, {"nspcc": 4}, qaec, seed=1)
    assert counts() == before


def test_choice_question_without_options_stores_nothing(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    tool = audits.create_tool(audit, "Tool", qaec)
    before = counts()
    for kind in ("single", "multiple"):
        with pytest.raises(InvalidInput) as error:
            audits.add_question(tool, {"text": "Which?", "kind": kind, "options": ""}, qaec)
        assert error.value.errors["options"].startswith("A choice question needs its options")
    with pytest.raises(InvalidInput, match="at least two options"):
        audits.add_question(tool, {"text": "Which?", "kind": "single", "options": "Only"}, qaec)
    with pytest.raises(InvalidInput, match="Question 1: A choice question"):
        audits.create_tool(audit, "Other", qaec, questions=[{"text": "Q", "kind": "single"}])
    with pytest.raises(InvalidInput, match="top of the scale"):
        audits.add_question(tool, {"text": "How?", "kind": "scale", "scale_min": 5,
                                   "scale_max": 1}, qaec)
    assert counts() == before
    assert AuditTool.objects.get(pk=tool.pk).questions == []


def test_population_file_with_missing_columns_stores_nothing(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    with pytest.raises(InvalidInput) as error:
        import_population(audit, "r.csv", b"Case reference,Gender\nA1,F\n", qaec)
    assert "no agency column" in error.value.message and "found: Case reference, Gender" in \
        error.value.message
    assert error.value.errors == {"file": error.value.message}
    with pytest.raises(InvalidInput, match="no case_ref or agency column"):
        import_population(audit, "r.csv", b"name,age\nx,1\n", qaec)
    assert AuditCase.objects.count() == 0


def test_population_file_with_duplicate_case_refs_names_the_rows(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    data = b"case_ref,agency\nA1,police\nA2,nspcc\nA1,police\nA3,Nowhere Agency\n,police\n"
    with pytest.raises(InvalidInput) as error:
        import_population(audit, "r.csv", data, qaec)
    message = error.value.message
    assert "row 4: case 'A1' is also on row 2" in message
    assert "row 5: 'Nowhere Agency' is not a known agency" in message
    assert "row 6: no case reference" in message
    assert message.endswith("Nothing was stored.")
    assert AuditCase.objects.count() == 0

    # Against the population already stored, too.
    import_population(audit, "r.csv", b"case_ref,agency\nA1,police\n", qaec)
    with pytest.raises(InvalidInput, match="row 3: case 'A1' is already in this audit"):
        import_population(audit, "r.csv", b"case_ref,agency\nB1,police\nA1,nspcc\n",
                                 qaec)
    assert list(AuditCase.objects.scalar("case_ref")) == ["A1"]


def test_population_from_xlsx_with_names_dates_and_extra_columns(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Case reference", "Referring agency", "Age band", "Referral date", "School"])
    sheet.append([1001, "Merseyside Police", "14-17", dt.datetime(2016, 1, 4), "St Anne's"])
    sheet.append(["1002", "nspcc", "5-11", "05/01/2016", None])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_population(audit, "referrals.xlsx", buffer.getvalue(), qaec)
    assert result.added == 2 and result.extra_columns == ["school"]
    first = AuditCase.objects.get(audit=audit, case_ref="1001")
    assert first.agency == "police" and first.referred_on == dt.date(2016, 1, 4)
    assert first.extra == {"school": "St Anne's"}
    assert AuditCase.objects.get(case_ref="1002").referred_on == dt.date(2016, 1, 5)

    with pytest.raises(DocumentError, match="not a valid zip archive"):
        import_population(audit, "broken.xlsx", b"PK\x03\x04 not really", qaec)
    assert AuditCase.objects.count() == 2


def test_plan_needs_participants_with_lead_auditors(clean_db):
    qaec = qaec_user()
    with pytest.raises(InvalidInput, match="participant 1: give the lead auditor's email"):
        plan(qaec, participants=[{"agency": "police", "lead_auditor": ""}])
    with pytest.raises(InvalidInput, match="exactly one agency"):
        plan(qaec, audit_type="single_agency")
    with pytest.raises(InvalidInput, match="Name at least one agency"):
        plan(qaec, participants=[])
    with pytest.raises(PermissionDenied):
        plan(make_user("viewer"))
    assert Audit.objects.count() == 0
    audit = plan(qaec)
    assert audit.state == "planned" and audit.themes == ["front_door"]
    assert sorted(audit.agencies) == sorted(AGENCIES)


# --- tools are versioned --------------------------------------------------------------------


def test_tool_versioning_keeps_old_answers_on_the_old_version(clean_db):
    qaec = qaec_user()
    audit = plan(qaec)
    import_population(audit, "r.csv", population_csv(2), qaec)
    audits.draw_random(audit, 4, qaec, seed=3)
    v1 = audits.create_tool(audit, "Tool", qaec, questions=[
        {"text": "Was the referral appropriate?", "kind": "yes_no_na"}])
    audits.publish_tool(v1, qaec)
    to_fieldwork(audit, qaec)
    audits.assign_tool(audit, v1, qaec)
    first, second, *rest = audits.assignments(audit)
    uid = v1.questions[0].uid
    audits.save_answers(first, {uid: "yes"}, lead_auditor(first.agency), submit=True)
    audits.save_answers(second, {uid: "no"}, lead_auditor(second.agency))

    # Changing the published tool makes version 2; version 1 stays as asked.
    v2 = audits.add_question(v1, {"text": "How timely was it?", "kind": "scale",
                                  "scale_min": 1, "scale_max": 5}, qaec)
    assert (v2.version, v2.published, v2.key) == (2, False, v1.key)
    assert len(AuditTool.objects.get(pk=v1.pk).questions) == 1
    assert v2.questions[0].uid == uid
    assert audits.add_question(v1, {"text": "Anything else?", "kind": "text"}, qaec).pk == v2.pk
    audits.publish_tool(v2, qaec)

    first.reload(), second.reload()
    assert (first.tool.pk, first.tool_version, first.answers) == (v1.pk, 1, {uid: "yes"})
    assert (second.tool.pk, second.tool_version) == (v1.pk, 1)  # started: stays
    for untouched in rest:
        untouched.reload()
        assert (untouched.tool.pk, untouched.tool_version) == (v2.pk, 2)
    assert [row.overall.answered for row in audits.findings(audit, v1)] == [1]
    report = audits.report(audit)
    assert [(tool.version, returned) for tool, returned, _ in report] == [(1, 1)]
    with pytest.raises(InvalidInput, match="already published"):
        audits.publish_tool(AuditTool.objects.get(pk=v1.pk), qaec)


# --- recommendations into actions -----------------------------------------------------------


def audit_with_recommendation(qaec):
    audit = plan(qaec)
    finding = Finding(text="In numerous referrals ethnicity was not provided.")
    content.update(audit, {"findings": [finding]}, qaec, base_version=audit.version)
    recommendation = Recommendation(text="Referrers check their own records and share all "
                                         "known demographics.", finding_uid=finding.uid)
    content.update(audit, {"recommendations": [recommendation]}, qaec,
                   base_version=audit.version)
    return audit, finding, recommendation


def test_recommendation_becomes_an_action_in_a_new_plan(clean_db):
    qaec = qaec_user()
    audit, finding, recommendation = audit_with_recommendation(qaec)
    due = dt.date.today() + dt.timedelta(days=90)
    action = audits.recommendation_to_action(
        audit, recommendation.uid, qaec,
        new_plan={"title": "Front Door audit actions", "kind": "multi_agency"},
        lead_name="Careline Manager", lead_email="careline@example.org", agency="csc",
        due_date=due,
    )
    plan_ = action.plan
    assert plan_.audit.pk == audit.pk and plan_.source_kind == "audit"
    assert plan_.finding_uids == [finding.uid] and plan_.state == "draft"
    assert action.finding_uid == finding.uid
    assert action.finding_text == f"Finding 1. {finding.text}"
    assert action.description == recommendation.text and action.due_date == due
    link = RecommendationLink.objects.get(audit=audit)
    assert (link.recommendation_uid, link.action.pk, link.plan.pk) == (
        recommendation.uid, action.pk, plan_.pk)
    assert audits.recommendation_links(audit)[recommendation.uid][0].action.pk == action.pk


def test_recommendation_becomes_an_action_in_an_existing_plan(clean_db):
    qaec = qaec_user()
    audit, finding, recommendation = audit_with_recommendation(qaec)
    existing = content.create(ActionPlan, {
        "title": "Police L&I plan", "kind": "single_agency", "agency": "police",
        "source_kind": "other", "source_other": "Police review"}, make_user("admin"))
    before = ActionPlan.objects.count()
    due = dt.date.today() + dt.timedelta(days=30)
    with pytest.raises(InvalidInput) as error:  # another agency's own plan: nothing stored
        audits.recommendation_to_action(audit, recommendation.uid, qaec, plan=existing,
                                        lead_name="X", lead_email="x@example.org",
                                        agency="nspcc", due_date=due)
    assert "agency" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        audits.recommendation_to_action(audit, recommendation.uid, qaec, plan=existing,
                                        lead_name="", lead_email="not an email",
                                        agency="police", due_date=None)
    assert {"lead_name", "lead_email", "due_date"} <= set(error.value.errors)
    assert Action.objects.count() == 0

    action = audits.recommendation_to_action(
        audit, recommendation.uid, qaec, plan=str(existing.pk), lead_name="DI Smith",
        lead_email="di.smith@example.org", agency="police", due_date=due,
        title="Ethnicity on every VPRF1")
    assert action.plan.pk == existing.pk and ActionPlan.objects.count() == before
    assert action.title == "Ethnicity on every VPRF1" and action.finding_uid == finding.uid
    assert RecommendationLink.objects.get().plan.pk == existing.pk

    with pytest.raises(PermissionDenied):
        audits.recommendation_to_action(audit, recommendation.uid, make_user("pdc"),
                                        plan=existing, lead_name="A", agency="police",
                                        lead_email="a@example.org", due_date=due)


def test_bad_new_plan_stores_neither_plan_nor_action(clean_db):
    qaec = qaec_user()
    audit, _, recommendation = audit_with_recommendation(qaec)
    before = counts()
    with pytest.raises(InvalidInput) as error:
        audits.recommendation_to_action(
            audit, recommendation.uid, qaec, new_plan={"title": "", "kind": "single_agency"},
            lead_name="A", lead_email="a@example.org", agency="police",
            due_date=dt.date(2001, 1, 1))
    assert {"plan_title", "due_date"} <= set(error.value.errors)
    assert counts() == before


# --- Section 11 -----------------------------------------------------------------------------


def test_section11_self_assessment_and_panel_outcome(clean_db):
    qaec = qaec_user()
    audit = plan(qaec, title="Section 11 audit 2016", audit_type="section_11",
                 participants=PARTICIPANTS[:2])
    tool = audits.create_section11_tool(audit, qaec)
    assert tool.purpose == "section11" and len(tool.questions) == 8
    assert {q.kind for q in tool.questions} == {"rag"}
    audits.publish_tool(tool, qaec)
    to_fieldwork(audit, qaec)
    assert audits.assign_tool(audit, tool, qaec) == 2
    police = audits.assignments(audit, agency="police")[0]
    assert police.case_ref == "" and police.case is None
    auditor = lead_auditor("police")
    answers = {q.uid: {"rating": "green", "evidence": "Policy 12, audited May 2016"}
               for q in tool.questions}
    answers[tool.questions[6].uid] = {"rating": "amber", "evidence": ""}
    with pytest.raises(InvalidInput, match="Give the evidence"):
        audits.save_answers(police, answers, auditor, submit=True)
    answers[tool.questions[6].uid]["evidence"] = "Supervision audit shows 70% compliance"
    audits.save_answers(police, answers, auditor, submit=True)

    with pytest.raises(InvalidInput, match="Record the panel's challenge"):
        audits.record_section11_outcome(audit, "police", {"outcome": "challenged"}, qaec)
    audits.record_section11_outcome(audit, "police", {
        "outcome": "assured_with_actions", "agreed_actions": "Supervision audit in 6 months",
        "panel_date": dt.date(2016, 10, 1)}, qaec)
    audits.record_section11_outcome(audit, "police", {
        "outcome": "challenged", "challenge": "Evidence of training take-up?"}, qaec)
    assert Section11Outcome.objects.count() == 1

    summary = {s.agency: s for s in audits.section11_summary(audit)}
    assert summary["police"].rag_counts == {"red": 0, "amber": 1, "green": 7}
    assert summary["police"].outcome.outcome == "challenged"
    assert summary["education"].state == "assigned" and summary["education"].outcome is None
    rows = audits.findings(audit, tool)
    assert shown(rows[6].overall)["amber"] == "1 (100%)"
    with pytest.raises(InvalidInput, match="not taking part"):
        audits.record_section11_outcome(audit, "nspcc", {"outcome": "assured"}, qaec)


# --- the workspace over HTTP ----------------------------------------------------------------


def test_workspace_walk_through_as_qaec(client):
    qaec = qaec_user()
    audit = plan(qaec)
    base = f"/admin/audit_work/{audit.pk}"
    auth = AuthActions(client)
    auth.login(qaec.email, PASSWORD)

    details = client.get(f"/admin/audit/details/?id={audit.pk}").get_data(as_text=True)
    assert f'href="{base}/"' in details and "Open the audit workspace" in details
    for page in ("/admin/audit_work/", f"{base}/", f"{base}/population/", f"{base}/sample/",
                 f"{base}/tools/", f"{base}/returns/", f"{base}/findings/",
                 f"{base}/recommendations/"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert "cdn." not in response.get_data(as_text=True)

    # Population: CSRF required; a bad file is refused at the field; a good one imported.
    file = (io.BytesIO(population_csv()), "referrals.csv")
    assert client.post(f"{base}/population/upload", data={"upload-file": file},
                       content_type="multipart/form-data").status_code == 400
    assert AuditCase.objects.count() == 0
    token = csrf(client, f"{base}/population/")
    page = client.post(f"{base}/population/upload", content_type="multipart/form-data", data={
        "upload-csrf_token": token,
        "upload-file": (io.BytesIO(b"case_ref,age\nA1,3\n"), "bad.csv")})
    assert page.status_code == 200 and "no agency column" in page.get_data(as_text=True)
    assert AuditCase.objects.count() == 0
    response = client.post(f"{base}/population/upload", content_type="multipart/form-data",
                           data={"upload-csrf_token": token,
                                 "upload-file": (io.BytesIO(population_csv()), "r.csv")})
    assert response.status_code == 302 and AuditCase.objects.count() == 100

    # Sample: too large → message at the field; 10 per agency → drawn.
    page = client.post(f"{base}/sample/random_n", data={
        "random-csrf_token": token, "random-n": "1000", "random-seed": "1"})
    assert "is larger than its population" in page.get_data(as_text=True)
    assert SampleDraw.objects.count() == 0
    quotas = {f"strata-quota_{a}": "10" for a in AGENCIES}
    response = client.post(f"{base}/sample/per_agency",
                           data={"strata-csrf_token": token, "strata-seed": "2016", **quotas})
    assert response.status_code == 302
    assert AuditCase.objects(in_sample=True).count() == 50
    page = client.get(f"{base}/sample/").get_data(as_text=True)
    assert "10 (20%)" in page and "2016" in page and "<svg" in page

    # Tool builder: a choice question without options is refused; publish.
    response = client.post(f"{base}/tools/", data={"tool-csrf_token": token,
                                                   "tool-name": "Referrer audit tool"})
    assert response.status_code == 302
    tool = AuditTool.objects.get()
    tool_url = f"{base}/tools/{tool.pk}"
    page = client.post(f"{tool_url}/questions", data={
        "add-csrf_token": token, "add-text": "Outcome?", "add-kind": "single",
        "add-options": "", "add-required": "y"})
    assert "A choice question needs its options" in page.get_data(as_text=True)
    assert AuditTool.objects.get().questions == []
    for text in (Q_GUIDANCE, Q_EHAT):
        assert client.post(f"{tool_url}/questions", data={
            "add-csrf_token": token, "add-text": text, "add-kind": "yes_no_na",
            "add-required": "y"}).status_code == 302
    assert client.get(f"{tool_url}/").status_code == 200
    assert client.post(f"{tool_url}/publish", data={"pub-csrf_token": token}).status_code == 302
    assert AuditTool.objects.get().published

    to_fieldwork(audit, qaec)
    response = client.post(f"{base}/returns/assign", data={
        "assign-csrf_token": token, "assign-tool": str(tool.pk), "assign-to": "referring"})
    assert response.status_code == 302 and ToolAssignment.objects.count() == 50
    assert "Who has not returned what" in client.get(f"{base}/returns/").get_data(as_text=True)
    auth.logout()

    # The police lead auditor answers a police return; the NSPCC one may not (403).
    police = ToolAssignment.objects(agency="police").first()
    auth.login(lead_auditor("police").email, PASSWORD)
    assert police.case_ref in client.get(f"{base}/answers/").get_data(as_text=True)
    answer_url = f"{base}/answers/{police.pk}/"
    token = csrf(client, answer_url)
    tool.reload()
    uids = [q.uid for q in tool.questions]
    response = client.post(answer_url, data={
        "csrf_token": token, "base_version": str(police.version), "submit_return": "1",
        f"q_{uids[0]}": "no", f"q_{uids[1]}": "yes"})
    assert response.status_code == 302
    assert ToolAssignment.objects.get(pk=police.pk).state == "returned"
    auth.logout()
    other = ToolAssignment.objects(agency="police", state="assigned").first()
    auth.login(lead_auditor("nspcc").email, PASSWORD)
    token = csrf(client, f"{base}/answers/")
    assert client.get(f"{base}/answers/{other.pk}/").status_code == 403
    response = client.post(f"{base}/answers/{other.pk}/", data={
        "csrf_token": token, "submit_return": "1", f"q_{uids[0]}": "yes"})
    assert response.status_code == 403
    assert ToolAssignment.objects.get(pk=other.pk).state == "assigned"
    assert client.get(f"{base}/population/").status_code == 200  # reading is open to leads
    assert client.post(f"{base}/population/upload", content_type="multipart/form-data", data={
        "upload-csrf_token": token, "upload-file": (io.BytesIO(population_csv(1)), "r.csv"),
    }).status_code == 403
    auth.logout()

    # Findings with charts; a recommendation into an action in a new plan.
    auth.login(qaec.email, PASSWORD)
    page = client.get(f"{base}/findings/").get_data(as_text=True)
    assert "From 1 returned audit tools" in page and "1 (100%)" in page and "<svg" in page
    audit.reload()
    audit, _, recommendation = audit_with_recommendation_on(audit, qaec)
    token = csrf(client, f"{base}/recommendations/")
    prefix = f"r{recommendation.uid}-"
    page = client.post(f"{base}/recommendations/{recommendation.uid}/action", data={
        f"{prefix}csrf_token": token, f"{prefix}target": "new", f"{prefix}plan_title": "",
        f"{prefix}plan_kind": "multi_agency", f"{prefix}lead_name": "Careline Manager",
        f"{prefix}lead_email": "careline@example.org", f"{prefix}agency": "csc",
        f"{prefix}due_date": "2099-01-31"})
    assert page.status_code == 200 and Action.objects.count() == 0
    response = client.post(f"{base}/recommendations/{recommendation.uid}/action", data={
        f"{prefix}csrf_token": token, f"{prefix}target": "new",
        f"{prefix}plan_title": "Front Door actions", f"{prefix}plan_kind": "multi_agency",
        f"{prefix}lead_name": "Careline Manager", f"{prefix}lead_email": "careline@example.org",
        f"{prefix}agency": "csc", f"{prefix}due_date": "2099-01-31"})
    assert response.status_code == 302
    action = Action.objects.get()
    assert action.plan.title == "Front Door actions" and action.plan.audit.pk == audit.pk
    page = client.get(f"{base}/recommendations/").get_data(as_text=True)
    assert "Front Door actions" in page


def audit_with_recommendation_on(audit: Audit, actor):
    finding = Finding(text="Ethnicity was often not provided on referrals.")
    content.update(audit, {"findings": [finding]}, actor, base_version=audit.version)
    recommendation = Recommendation(text="Share all known demographics.",
                                    finding_uid=finding.uid)
    content.update(audit, {"recommendations": [recommendation]}, actor,
                   base_version=audit.version)
    return audit, finding, recommendation


def test_section11_pages_over_http(client):
    qaec = qaec_user()
    audit = plan(qaec, title="Section 11 audit", audit_type="section_11",
                 participants=PARTICIPANTS[:2])
    base = f"/admin/audit_work/{audit.pk}"
    AuthActions(client).login(qaec.email, PASSWORD)
    token = csrf(client, f"{base}/tools/")
    response = client.post(f"{base}/tools/section11", data={"s11-csrf_token": token})
    assert response.status_code == 302 and AuditTool.objects.get().purpose == "section11"
    assert client.get(f"{base}/section11/").status_code == 200
    page = client.post(f"{base}/section11/outcome", data={
        "outcome-csrf_token": token, "outcome-agency": "police",
        "outcome-outcome": "not_assured"})
    assert "Record the panel&#39;s challenge" in page.get_data(as_text=True)
    assert Section11Outcome.objects.count() == 0
    response = client.post(f"{base}/section11/outcome", data={
        "outcome-csrf_token": token, "outcome-agency": "police", "outcome-outcome": "assured"})
    assert response.status_code == 302 and Section11Outcome.objects.get().outcome == "assured"
    # The multi-agency audit has no Section 11 page.
    other = plan(qaec, title="Neglect audit")
    assert client.get(f"/admin/audit_work/{other.pk}/section11/").status_code == 404


def test_audit_report_in_word_with_the_figures_and_in_the_index(clean_db):
    import zipfile

    import docx

    from documents import writers

    qaec = qaec_user()
    audit, tool = front_door(qaec)
    answer_front_door(audit, tool)
    name, data = writers.render("audit-report", audit, qaec)
    assert name.endswith(".docx")
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "Summary of Findings / Learning" in text and "32 audit tools returned" in text
    assert "19 (59%)" in cells and "29 (91%)" in cells
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Case Overview / Methodology" in headings and "Recommendations" in headings
    _, index = writers.render("index", None, qaec)
    with zipfile.ZipFile(io.BytesIO(index)) as zf:
        assert audit.title in zf.read("word/document.xml").decode()
