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

from .. import clock, clocks, policy, workflow
from ..actors import SYSTEM
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
from ..models.referral import RECOMMENDATIONS
from . import content, notifications

RECOMMENDATION_LABELS = dict(RECOMMENDATIONS)
# A recommendation to review becomes a Review of this type.
REVIEW_TYPE_FOR = {
    "scr": "scr",
    "critical_case_review": "critical_case_review",
    "ma_concise_review": "multi_agency_thematic",
    "individual_agency_review": "single_agency_thematic",
}


# --- clocks --------------------------------------------------------------------------------


def decision_clock(referral: Referral, today: dt.date | None = None) -> dict:
    """``{"due": date, "days_left": n, "rag": red|amber|green|done|late|none}`` for the
    decision (``clocks.decision_due`` and ``clocks.decision_rag``)."""
    today = today or clock.today()
    due = clocks.decision_due(referral.notified_on)
    # Only a decision the Chair's transition recorded stops the clock (decision_of).
    decided_on = referral.decided_on if decision_of(referral) else None
    rag = clocks.decision_rag(referral.notified_on, decided_on, today)
    days_left = (due - today).days if due and not decided_on else None
    return {"due": due, "days_left": days_left, "rag": rag,
            "period": clocks.describe("scr_decision")}


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
    due = clocks.information_request_due(today, meeting.date)
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
    created = []
    for agency in agencies:
        if InformationRequest.objects(referral=referral, agency=agency).first():
            continue
        created.append(content.create(InformationRequest, {
            "title": f"CIGINF1 {referral.title} — {agency}", "referral": referral,
            "agency": agency, "issued_on": today, "due_on": due, "agencies": [agency],
        }, SYSTEM, now=now))
        for user in User.objects(roles="ciec", agency=agency, active=True):
            notifications.notify(
                user.email, "Request for information (CIGINF1)",
                f"A case is on the CIEC agenda for {meeting.date:%d %B %Y}. Please return "
                f"your agency's information by {due:%d %B %Y} and identify the key "
                "practitioners.",
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


def _recorded(referral: Referral, transition: str, value: str | None,
              rationale: str) -> Recorded | None:
    """The value ``transition`` recorded, read only if it fired: a stored value no transition
    recorded (the old referral form stored "SCR" for every referral) is no decision."""
    entry = next((e for e in reversed(referral.workflow_history or [])
                  if e.action == transition), None)
    if entry is None or not value:
        return None
    body = policy.deciding_body(entry.in_place_of) if entry.in_place_of else ""
    reason = entry.comment.split(": ", 1)[1] if body and ": " in entry.comment else ""
    return Recorded(value=value, label=RECOMMENDATION_LABELS.get(value, value),
                    rationale=rationale, by=entry.actor, at=entry.at, in_place_of=body,
                    reason=reason)


def recommendation_of(referral: Referral) -> Recorded | None:
    """The CIEC's recommendation, once recorded (``None`` before)."""
    return _recorded(referral, "recommend", referral.recommendation,
                     referral.recommendation_rationale)


def decision_of(referral: Referral) -> Recorded | None:
    """The Independent Chair's decision, once recorded (``None`` before)."""
    return _recorded(referral, "decide", referral.decision, referral.decision_rationale)


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
            due_on=clocks.national_panel_notice_due(decided),
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

STAGES = {
    "submitted": "Intake (CIEC Chair and Business Manager)",
    "declined": "Declined at intake",
    "accepted": "Information requests / awaiting CIEC",
    "considered": "With the Independent Chair",
    "decided": "Decided: notifications",
    "closed": "Closed",
}
HOLDERS = {
    "submitted": "CIEC Chair / Business Manager",
    "accepted": "CIEC members",
    "considered": "LSCB Independent Chair",
    "decided": "LSCB Business Manager",
}


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
        decision = decision_clock(referral, today)
        recommended, decided = recommendation_of(referral), decision_of(referral)
        panel = next((n for n in referral.notices if n.kind == "national_panel"), None)
        rows.append({
            "referral": referral,
            "reference": referral.title,
            "agency": referral.agency,
            "notified_on": referral.notified_on,
            "stage": STAGES.get(referral.state, referral.state),
            "holder": HOLDERS.get(referral.state, ""),
            "meeting": referral.meeting.date if referral.meeting else None,
            "requests_out": sum(1 for r in requests if r.state == "issued"),
            "requests_total": len(requests),
            "recommendation": recommended.with_override(recommended.label)
            if recommended else "",
            "decision": decided.with_override(decided.label) if decided else "",
            "decision_due": decision["due"],
            "decision_rag": decision["rag"],
            "panel_notice_due": panel.due_on if panel else None,
            "panel_notice_sent": panel.sent_on if panel else None,
        })
    return rows
