"""The serious case review pathway: referral → CIEC → the Chair's decision, on the clock.

Steps follow the source's "CIEC Process - Flowchart": a referral (CIGSCR1) is accepted for
the next monthly CIEC meeting or declined with reasons; requests for information (CIGINF1)
go to each CIEC member agency, due in 7 days or by the meeting if sooner; the CIEC
recommends (CIGSUM1); the Independent Chair affirms or challenges and decides within one
month of notification; Ofsted, the National Panel and the referrer are notified; a decision
to review creates the Review at the start of its workflow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mongoengine import DateField

from .. import clock, clocks, frameworks, policy, workflow
from ..actors import SYSTEM
from ..dates import read_date
from ..errors import InvalidInput
from ..models import (
    Agency,
    AgendaItem,
    InformationRequest,
    Meeting,
    Notice,
    Referral,
    Review,
    User,
)
from ..models.referral import DECISIONS
from . import content, notifications

RECOMMENDATION_LABELS = dict(DECISIONS)
# A recommendation to review becomes a Review of this type.
REVIEW_TYPE_FOR = {
    "scr": "scr",
    "critical_case_review": "critical_case_review",
    "ma_concise_review": "multi_agency_thematic",
    "individual_agency_review": "single_agency_thematic",
}


# --- clocks --------------------------------------------------------------------------------


def clocks_of(referral: Referral, today: dt.date | None = None) -> list[dict]:
    """The statutory clocks of the referral's framework (``clocks.item_clocks``): under the
    source's, the Chair's decision within a month of notification; under Working Together
    2023, the notification within 5 working days and the rapid review within 15.

    Only a decision a transition recorded stops a clock (:func:`decision_of`): a decision
    date the old referral form stored stops none.
    """
    stopped = {} if decision_of(referral) else {"decided_on": None}
    return clocks.item_clocks(referral, today or clock.today(), dates=stopped)


def decision_clock(referral: Referral, today: dt.date | None = None) -> dict:
    """``{"due": date, "days_left": n, "rag": red|amber|green|done|late|none, "period",
    "label"}`` of the clock that ends in the referral's decision (the SCR decision, or the
    rapid review's), from :func:`clocks_of`."""
    decision = [c for c in clocks_of(referral, today) if c["done"] == "decided_on"]
    if not decision:
        return {"due": None, "days_left": None, "rag": "none", "period": "", "label": ""}
    return decision[-1]


def next_ciec_meeting(today: dt.date) -> Meeting:
    """The next monthly CIEC meeting on or after ``today`` (its record is made if missing)."""
    day = clocks.next_ciec_meeting_on(today)
    slot = f"ciec:{day:%Y-%m}"
    meeting = Meeting.objects(slot=slot).first()
    if meeting is None:
        try:
            meeting = content.create(Meeting, {
                "title": f"CIEC meeting {day:%B %Y}", "committee": "ciec",
                "date": day, "slot": slot,
            }, SYSTEM)
        except Exception:  # noqa: BLE001 - another request made it at the same moment
            meeting = Meeting.objects(slot=slot).first()
    return meeting


# --- intake ----------------------------------------------------------------------------------


def ciec_member_agencies() -> list[str]:
    """Agencies with at least one active CIEC member: each gets a request for information."""
    return sorted({u.agency for u in User.objects(roles="ciec", active=True).only("agency")
                   if u.agency})


def accept(referral: Referral, actor, comment: str = "", now: dt.datetime | None = None):
    """Accept for the next monthly CIEC meeting: requests for information go out."""
    return workflow.fire(referral, "accept", actor, comment, now=now)


def decline(referral: Referral, actor, reasons: str, now: dt.datetime | None = None):
    """Decline at intake with the reasons, which the referrer is told."""
    if not (reasons or "").strip():
        raise InvalidInput("Give the reasons for not referring the case to the CIEC.",
                           field="comment")
    return workflow.fire(referral, "decline", actor, reasons.strip(), now=now)


@workflow.effect("issue_information_requests")
def issue_information_requests(referral: Referral, actor, now: dt.datetime) -> list:
    """Effect of ``accept``: place the case on the next CIEC agenda and ask each agency.

    Idempotent: a request is unique per (referral, agency) in the database.
    """
    today = now.date()
    meeting = next_ciec_meeting(today)
    due = clocks.information_request_due(today, meeting.date, frameworks.of(referral))
    # Every agency already named stays involved; those with CIEC members join them.
    named = [a for a in referral.agencies if a]
    agencies = sorted(set(ciec_member_agencies()) | set(named) | {referral.agency})
    added = [a for a in agencies if a not in named]
    content.update(referral, {
        "meeting": meeting, "agencies": agencies,
        "notified_on": referral.notified_on or today,
    }, SYSTEM, base_version=referral.version, now=now,
        note="Accepted for CIEC: on the agenda of "
             f"{meeting.date:%d %B %Y}" + (f"; agencies with CIEC members involved: "
                                            f"{', '.join(added)}" if added else ""))
    Meeting.objects(pk=meeting.pk, agenda__item_ref__ne=str(referral.pk)).update_one(
        push_all__agenda=[
            AgendaItem(part="Part A", title=f"Practitioner review: {referral.title}",
                       item_ref=str(referral.pk)),
            AgendaItem(part="Part B", title=f"Review and CIEC decision: {referral.title}",
                       item_ref=str(referral.pk)),
        ]
    )
    return _ask_agencies(
        referral, agencies, due, now, title="CIGINF1", subject="Request for information (CIGINF1)",
        body=(f"A case is on the CIEC agenda for {meeting.date:%d %B %Y}. Please return "
              f"your agency's information by {due:%d %B %Y} and identify the key "
              "practitioners."))


@workflow.effect("request_agency_summaries")
def request_agency_summaries(referral: Referral, actor, now: dt.datetime) -> list:
    """Effect of ``start_rapid_review`` (Working Together 2023): ask each agency involved,
    and each with members of the case review group, for its summary of its involvement,
    due by the framework's clock for them. Each agency answers for itself (its request).

    Idempotent: a request is unique per (referral, agency) in the database.
    """
    framework = frameworks.of(referral)
    due = clocks.information_request_due(now.date(), None, framework)
    named = [a for a in referral.agencies if a]
    agencies = sorted(set(ciec_member_agencies()) | set(named) | {referral.agency})
    if agencies != sorted(named):
        content.update(referral, {"agencies": agencies}, SYSTEM, base_version=referral.version,
                       now=now, note="Rapid review: agencies asked for summaries")
    return _ask_agencies(
        referral, agencies, due, now, title="Agency summary",
        subject="Rapid review: your agency's summary",
        body=(f"The safeguarding partners are holding a rapid review of a serious incident. "
              f"Please return your agency's summary of its involvement by {due:%d %B %Y} "
              f"({clocks.describe('information_request', framework)})."))


def _ask_agencies(referral: Referral, agencies: list[str], due: dt.date, now: dt.datetime, *,
                  title: str, subject: str, body: str) -> list:
    """Issue one request for information to each agency that has none yet, and tell the
    agency's case review (CIEC) members."""
    created = []
    for agency in agencies:
        if InformationRequest.objects(referral=referral, agency=agency).first():
            continue
        created.append(content.create(InformationRequest, {
            "title": f"{title} {referral.title} — {agency}", "referral": referral,
            "agency": agency, "issued_on": now.date(), "due_on": due, "agencies": [agency],
        }, SYSTEM, now=now))
        for user in User.objects(roles="ciec", agency=agency, active=True):
            notifications.notify(
                user.email, subject, body,
                key=notifications.personal_key(f"rfi:{referral.pk}:{agency}:issued", user.email),
                link=f"/admin/information_request/details/?id={created[-1].pk}",
                about=created[-1],
            )
    referral.reload()
    return created


def answer_request(request: InformationRequest, response: str, key_practitioners: str, actor,
                   now: dt.datetime | None = None):
    """An agency's CIEC member answers their own agency's request, and only that: the
    response, who sent it and when are recorded with the "answered" state in one step."""
    now = now or clock.now()
    if not (response or "").strip():
        raise InvalidInput("Write the agency's response.", field="response")
    return workflow.fire(request, "answer", actor, now=now, fields={
        "response": response.strip(), "key_practitioners": (key_practitioners or "").strip(),
        "responded_by": actor.email, "responded_on": now.date()})


def set_involved(referral: Referral, agencies: list[str], actor, reason: str,
                 now: dt.datetime | None = None) -> Referral:
    """Change which agencies a referral involves (the referring agency always is).

    Involvement decides whose CIEC members read the child's details, so only the CIEC chair
    or the business manager changes it (the policy's field rule), never the people it
    grants access to; each change is a version with an audit event naming who and why.

    :raises InvalidInput: no reason, or an unknown agency.
    :raises PermissionDenied: the actor may not change involvement.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the involved agencies change.", field="reason")
    known = {a.key for a in Agency.objects.only("key")}
    unknown = sorted(set(agencies) - known)
    if unknown:
        raise InvalidInput(f"Unknown agency '{unknown[0]}'.", field="agencies")
    wanted = sorted(set(agencies) | {referral.agency})
    before = set(referral.agencies)
    added = [a for a in wanted if a not in before]
    removed = sorted(before - set(wanted))
    if not added and not removed:
        return referral
    what = "; ".join(part for part in (
        f"added {', '.join(added)}" if added else "",
        f"removed {', '.join(removed)}" if removed else "") if part)
    return content.update(referral, {"agencies": wanted}, actor, base_version=referral.version,
                          note=f"Involved agencies {what}: {reason}", now=now)


def may_answer(request: InformationRequest, user) -> bool:
    """Whether ``user`` may send the response to this request now (its agency's member)."""
    return policy.allows(user, "fire", request, transition="answer")


def returned_text(request: InformationRequest) -> str:
    """What the record says of an agency's request for information, in words: when it was
    returned, by whom and how late, or that it is still awaited and when it is due. Pages and
    every CIEC form (CIGINF1, CIGM1, CIGSUM1) say it this way."""
    def day(value: dt.date) -> str:
        return f"{value.day} {value:%B %Y}"

    if request.state == "withdrawn":
        return "Withdrawn"
    if request.state != "answered":
        return f"Not yet returned (due {day(request.due_on)})"
    if request.responded_on is None:
        return "Returned (date not recorded)"
    text = day(request.responded_on) + (f" by {request.responded_by}"
                                        if request.responded_by else "")
    late = (request.responded_on - request.due_on).days if request.due_on else 0
    return text + (f" ({late} day{'s' if late != 1 else ''} late)" if late > 0 else "")


def requests_of(referral: Referral) -> list[InformationRequest]:
    return list(InformationRequest.objects(referral=referral).order_by("agency"))


def may_recommend(referral: Referral, user) -> bool:
    """Whether ``user`` may record the recommendation (in their own right or as an override)."""
    return policy.allows(user, "fire", referral, transition="recommend", override=True)


def may_decide(referral: Referral, user) -> bool:
    """Whether ``user`` may record the Chair's decision (as the Chair, or as an override)."""
    return policy.allows(user, "fire", referral, transition="decide", override=True)


def recording_in_place_of(referral: Referral, user, transition: str) -> str:
    """Whose decision ``user`` would record only as an override, in words ("" when it is
    theirs to record): the page then asks for the reason."""
    roles = policy.in_place_of(user, "fire", referral, transition=transition)
    return policy.deciding_body(roles) if roles else ""


def may_set_involved(referral: Referral, user) -> bool:
    return policy.allows(user, "edit", referral) and "agencies" not in (
        policy.fields_not_settable(user, referral) or ())


def outstanding_requests(referral: Referral) -> list[InformationRequest]:
    return list(InformationRequest.objects(referral=referral, state="issued").order_by("agency"))


# --- recommendation and decision ------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """A decision as the record holds it: what, why, who recorded it, when, and whether
    someone recorded it in place of those it belongs to (the reason given)."""

    value: str
    label: str
    rationale: str
    by: str
    at: dt.datetime
    in_place_of: str = ""
    reason: str = ""

    @property
    def override(self) -> str:
        """"Recorded by X in place of Y: reason" ("" when not an override)."""
        if not self.in_place_of:
            return ""
        return f"Recorded by {self.by} in place of {self.in_place_of}: {self.reason}"

    def with_override(self, text: str) -> str:
        return f"{text} (override: {self.override})" if self.in_place_of else text


def _recorded(referral: Referral, field: str, value: str | None,
              rationale: str) -> Recorded | None:
    """The value of ``field``, read only if a transition of the referral's workflow that
    records it fired: a stored value no transition recorded (the old referral form stored
    "SCR" for every referral) is no decision."""
    names = {t["name"] for t in workflow.workflow_of(referral)["transitions"]
             if field in t["records"]}
    entry = next((e for e in reversed(referral.workflow_history or [])
                  if e.action in names), None)
    if entry is None or not value:
        return None
    body = policy.deciding_body(entry.in_place_of) if entry.in_place_of else ""
    reason = entry.comment.split(": ", 1)[1] if body and ": " in entry.comment else ""
    return Recorded(value=value, label=RECOMMENDATION_LABELS.get(value, value),
                    rationale=rationale, by=entry.actor, at=entry.at, in_place_of=body,
                    reason=reason)


def recommendation_of(referral: Referral) -> Recorded | None:
    """The CIEC's recommendation, once recorded (``None`` before)."""
    return _recorded(referral, "recommendation", referral.recommendation,
                     referral.recommendation_rationale)


def decision_of(referral: Referral) -> Recorded | None:
    """The Independent Chair's decision (or the rapid review's, under Working Together
    2023), once recorded (``None`` before)."""
    return _recorded(referral, "decision", referral.decision, referral.decision_rationale)


def _fire_deciding(referral: Referral, transition: str, actor, fields: dict,
                   override_reason: str, now) -> Referral:
    """Fire a transition that records a decision: as its owner, or (with a reason) in their
    place when the policy allows that as an override."""
    if policy.in_place_of(actor, "fire", referral, transition=transition, fields=fields):
        reason = (override_reason or "").strip()
        if not reason:
            body = recording_in_place_of(referral, actor, transition)
            raise InvalidInput(f"You record this in place of {body}: give the reason.",
                               field="override_reason")
        return workflow.fire(referral, transition, actor, reason, now=now, override=True,
                             fields=fields)
    return workflow.fire(referral, transition, actor, now=now, fields=fields)


#: Steps that record a choice with a form of their own on the referral's page (the source's
#: CIGSUM1 recommendation and the Chair's decision); every other step that records what a
#: person gives is asked for with the form :func:`recorded_steps` describes.
OWN_FORMS = ("recommend", "decide")


def _field_form(referral: Referral, name: str, required: bool) -> dict:
    field = Referral._fields[name]
    entry = {"name": name, "label": name.replace("_", " ").capitalize(), "required": required,
             "kind": "text", "choices": []}
    if isinstance(field, DateField):
        entry["kind"] = "date"
    elif name == "decision":
        entry.update(kind="choice", choices=frameworks.of(referral).decision_choices())
    elif field.choices:
        entry.update(kind="choice", choices=list(field.choices))
    return entry


def _steps(referral: Referral):
    return [spec for spec in workflow.workflow_of(referral)["transitions"]
            if spec["requires"] and spec["name"] not in OWN_FORMS]


def recorded_steps(referral: Referral, user) -> list[dict]:
    """The steps ``user`` may take now that record what a person gives (under Working
    Together 2023: the day the National Panel was notified; the rapid review's decision,
    its rationale and its date), each ``{"name", "label", "in_place_of", "fields"}`` with a
    field ``{"name", "label", "kind": date|choice|text, "choices", "required"}`` for each
    value the step records. Nothing is filled in: a choice starts blank."""
    steps = []
    for spec in _steps(referral):
        if referral.trashed or referral.state not in spec["from"]:
            continue
        whose = policy.in_place_of(user, "fire", referral, transition=spec["name"])
        if not whose and not policy.allows(user, "fire", referral, transition=spec["name"]):
            continue
        steps.append({
            "name": spec["name"], "label": spec["label"],
            "in_place_of": policy.deciding_body(whose) if whose else "",
            "fields": [_field_form(referral, name, name in spec["requires"])
                       for name in spec["records"]]})
    return steps


def record_step(referral: Referral, name: str, given: dict, actor,
                now: dt.datetime | None = None, *, override_reason: str = "") -> Referral:
    """Take the step ``name`` of :func:`recorded_steps`, recording what ``given`` holds (the
    form's text): dates read as people write them, a choice only among the framework's, and
    nothing that was left empty.

    :raises InvalidInput: no such step, a date that is none, a choice not offered, a value
        the step requires left empty, or a reason missing for recording in another's place;
        nothing is recorded.
    :raises PermissionDenied: the actor may not take the step.
    """
    spec = next((s for s in _steps(referral) if s["name"] == name), None)
    if spec is None:
        raise InvalidInput(f"'{name}' is not a step of this referral's workflow.")
    fields = {}
    for field_name in spec["records"]:
        form = _field_form(referral, field_name, False)
        raw = str(given.get(field_name) or "").strip()
        if not raw:
            continue
        if form["kind"] == "date":
            fields[field_name] = read_date(raw, field_name)
        elif form["kind"] == "choice":
            offered = dict(form["choices"])
            if raw not in offered:
                raise InvalidInput(f"Choose the {form['label'].lower()} among: "
                                   f"{'; '.join(offered.values())}.", field=field_name)
            fields[field_name] = raw
        else:
            fields[field_name] = raw
    return _fire_deciding(referral, name, actor, fields, override_reason, now)


def recommend(referral: Referral, recommendation: str, rationale: str, actor,
              now: dt.datetime | None = None, *, override_reason: str = ""):
    """Record the CIEC's recommendation and rationale (CIGSUM1) and move the case on.

    :param override_reason: why someone who is not a CIEC member (the business manager)
        records it in the committee's place; required of them, shown as an override.
    :raises PermissionDenied: the actor may not record it, even as an override.
    :raises InvalidInput: nothing chosen, no rationale, or an override without its reason.
    """
    policy.require(actor, "fire", referral, transition="recommend", override=True)
    if recommendation not in RECOMMENDATION_LABELS:
        raise InvalidInput(
            f"'{recommendation}' is not one of: {', '.join(RECOMMENDATION_LABELS.values())}.",
            field="recommendation",
        )
    if not (rationale or "").strip():
        raise InvalidInput("Give the rationale for the recommendation.",
                           field="recommendation_rationale")
    return _fire_deciding(referral, "recommend", actor, {
        "recommendation": recommendation, "recommendation_rationale": rationale.strip()},
        override_reason, now)


def decide(referral: Referral, stance: str, decision: str, rationale: str, actor, *,
           reviewers: list[str] | None = None, now: dt.datetime | None = None,
           override_reason: str = ""):
    """The Independent Chair affirms or challenges the recommendation and decides.

    :param override_reason: why the business manager records the decision in the Chair's
        place; required of them, shown as an override in the history, on the page, in the
        register and in CIGSUM1.
    :raises PermissionDenied: the actor is neither the Chair nor allowed to override.
    :raises InvalidInput: nothing chosen, no rationale, or an override without its reason.
    """
    now = now or clock.now()
    policy.require(actor, "fire", referral, transition="decide", override=True)
    if stance not in ("affirmed", "challenged"):
        raise InvalidInput("Say whether the Chair affirms or challenges the recommendation.",
                           field="chair_stance")
    if decision not in RECOMMENDATION_LABELS:
        raise InvalidInput(
            f"'{decision}' is not one of: {', '.join(RECOMMENDATION_LABELS.values())}.",
            field="decision",
        )
    if not (rationale or "").strip():
        raise InvalidInput("A decision needs its rationale.", field="decision_rationale")
    return _fire_deciding(referral, "decide", actor, {
        "chair_stance": stance, "decision": decision, "decision_rationale": rationale.strip(),
        "decided_on": now.date(), "reviewers": [r.strip() for r in reviewers or [] if r.strip()],
    }, override_reason, now)


@workflow.effect("record_decision")
def record_decision_effects(referral: Referral, actor, now: dt.datetime) -> None:
    """Effect of ``decide``: the notices to send, the referrer told, the review begun."""
    decided = referral.decided_on or now.date()
    label = RECOMMENDATION_LABELS[referral.decision]
    notices = [Notice(
        kind="ofsted", to="Ofsted", due_on=decided,
        text=f"The LSCB Independent Chair decided on {decided:%d %B %Y}: {label}.",
    )]
    if referral.decision == "scr":
        names = ", ".join(referral.reviewers) or "(reviewer to be appointed)"
        notices.append(Notice(
            kind="national_panel", to="National Panel of Independent Experts on SCRs",
            due_on=decided, text=f"An SCR has been initiated. Reviewer(s): {names}.",
        ))
    else:
        notices.append(Notice(
            kind="national_panel", to="National Panel of Independent Experts on SCRs",
            due_on=clocks.national_panel_notice_due(decided, frameworks.of(referral)),
            text=("The LSCB Chair decided not to initiate an SCR. Attach the local authority's "
                  "Serious Incident Notification or an anonymised summary (nature of the "
                  "incident, ages of the children, relationship with any alleged "
                  "perpetrator, agency involvement, any criminal investigation). "
                  f"Why the SCR criteria are not met: {referral.decision_rationale}"),
        ))
    notices.append(Notice(kind="referrer", to=referral.referred_by or "referrer",
                          due_on=decided, text=f"Outcome of your referral: {label}."))
    Referral.objects(pk=referral.pk, notices__size=0).update_one(set__notices=notices)
    if referral.decision in REVIEW_TYPE_FOR and referral.review is None:
        review = content.create(Review, {
            "title": f"{RECOMMENDATION_LABELS[referral.decision]}: {referral.title}",
            "review_type": REVIEW_TYPE_FOR[referral.decision], "referral": referral,
            "independent_reviewer": ", ".join(referral.reviewers), "restricted": True,
            "summary": f"Initiated on {decided:%d %B %Y} following referral {referral.title}.",
            "date": decided,
        }, SYSTEM, now=now)
        Referral.objects(pk=referral.pk).update_one(set__review=review)
    referral.reload()


@workflow.effect("record_decline_reason")
def record_decline_reason(referral: Referral, actor, now: dt.datetime) -> None:
    """The comment given when declining is the reason the referrer is told."""
    Referral.objects(pk=referral.pk).update_one(
        set__decline_reason=referral.workflow_history[-1].comment)
    referral.reload()


@workflow.effect("notify_referrer")
def notify_referrer(referral: Referral, actor, now: dt.datetime) -> None:
    """Tell the referrer what happened (declined, accepted, or the outcome); no names."""
    if not referral.referred_by:
        return
    if referral.state == "declined":
        subject = "Your referral was not referred to the CIEC"
        body = f"Reasons: {referral.decline_reason}"
    elif referral.state == "accepted":
        meeting = referral.meeting
        subject = "Your referral will be considered by the CIEC"
        body = f"It is on the agenda of the meeting on {meeting.date:%d %B %Y}." if meeting else ""
    else:
        subject = "Outcome of your referral"
        body = f"The Independent Chair's decision: {RECOMMENDATION_LABELS.get(referral.decision)}."
    notifications.notify(
        referral.referred_by, subject, body,
        key=notifications.personal_key(f"referral:{referral.pk}:{referral.state}",
                                       referral.referred_by),
        link=f"/admin/referral/details/?id={referral.pk}",
        about=referral,
    )


def mark_notice_sent(referral: Referral, kind: str, actor, sent_on: dt.date | None = None):
    """Record that the ``kind`` notice was sent (a versioned change, in the audit trail)."""
    notices = [Notice(**n.to_mongo().to_dict()) for n in referral.notices]
    notice = next((n for n in notices if n.kind == kind), None)
    if notice is None:
        raise InvalidInput(f"No '{kind}' notice on this referral.", field="kind")
    notice.sent_on = sent_on or clock.today()
    return content.update(referral, {"notices": notices}, actor, base_version=referral.version,
                          note=f"Notice to {notice.to} marked sent")


# --- the register ----------------------------------------------------------------------------

def stages() -> dict[str, str]:
    """``{state: stage}`` for the register's stage filter: every framework's referral states,
    named as its ``VOCABULARY["register"]`` names them (else by their titles), the
    install's framework's first."""
    result: dict[str, str] = {}
    for framework in (frameworks.active(), *frameworks.every()):
        named = framework.vocabulary.get("register", {}).get("stages", {})
        for state, spec in framework.workflows["referral"]["states"].items():
            result.setdefault(state, named.get(state) or spec["title"])
    return result


def _stage_and_holder(referral: Referral) -> tuple[str, str]:
    register_words = frameworks.of(referral).vocabulary.get("register", {})
    return (register_words.get("stages", {}).get(referral.state)
            or workflow.state_title(referral),
            register_words.get("holders", {}).get(referral.state, ""))


def register(user, *, state: str | None = None, agency: str | None = None,
             today: dt.date | None = None) -> list[dict]:
    """The "LSCB CIEC/SCR spreadsheet" as rows: every case, its stage, clocks and holder."""
    flt = policy.view_filter(user, "referral")
    if flt is None:
        return []
    extra = {}
    if state:
        extra["state"] = state
    if agency:
        extra["agency"] = agency
    rows = []
    referrals = Referral.objects(__raw__=policy.and_query(flt, extra)).order_by(
        "-notified_on")
    for referral in referrals:
        requests = list(InformationRequest.objects(referral=referral).only("agency", "state"))
        running = clocks_of(referral, today)
        stage, holder = _stage_and_holder(referral)
        decision = ([c for c in running if c["done"] == "decided_on"] or [{
            "due": None, "rag": "none"}])[-1]
        recommended, decided = recommendation_of(referral), decision_of(referral)
        panel = next((n for n in referral.notices if n.kind == "national_panel"), None)
        rows.append({
            "referral": referral,
            "reference": referral.title,
            "agency": referral.agency,
            "notified_on": referral.notified_on,
            "stage": stage,
            "holder": holder,
            "meeting": referral.meeting.date if referral.meeting else None,
            "requests_out": sum(1 for r in requests if r.state == "issued"),
            "requests_total": len(requests),
            "recommendation": recommended.with_override(recommended.label)
            if recommended else "",
            "decision": decided.with_override(decided.label) if decided else "",
            "decision_due": decision["due"],
            "decision_rag": decision["rag"],
            "clocks": running,
            "panel_notice_due": panel.due_on if panel else None,
            "panel_notice_sent": panel.sent_on if panel else None,
        })
    return rows
