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
    rag = clocks.decision_rag(referral.notified_on, referral.decided_on, today)
    days_left = (due - today).days if due and not referral.decided_on else None
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


def requests_of(referral: Referral) -> list[InformationRequest]:
    return list(InformationRequest.objects(referral=referral).order_by("agency"))


def may_recommend(referral: Referral, user) -> bool:
    return policy.allows(user, "fire", referral, transition="recommend")


def may_decide(referral: Referral, user) -> bool:
    return policy.allows(user, "fire", referral, transition="decide")


def may_set_involved(referral: Referral, user) -> bool:
    return policy.allows(user, "edit", referral) and "agencies" not in (
        policy.fields_not_settable(user, referral) or ())


def outstanding_requests(referral: Referral) -> list[InformationRequest]:
    return list(InformationRequest.objects(referral=referral, state="issued").order_by("agency"))


# --- recommendation and decision ------------------------------------------------------------


def recommend(referral: Referral, recommendation: str, rationale: str, actor,
              now: dt.datetime | None = None):
    """Record the CIEC's recommendation and rationale (CIGSUM1) and move the case on."""
    if recommendation not in RECOMMENDATION_LABELS:
        raise InvalidInput(
            f"'{recommendation}' is not one of: {', '.join(RECOMMENDATION_LABELS.values())}.",
            field="recommendation",
        )
    if not (rationale or "").strip():
        raise InvalidInput("Give the rationale for the recommendation.",
                           field="recommendation_rationale")
    return workflow.fire(referral, "recommend", actor, now=now, fields={
        "recommendation": recommendation, "recommendation_rationale": rationale.strip()})


def decide(referral: Referral, stance: str, decision: str, rationale: str, actor, *,
           reviewers: list[str] | None = None, now: dt.datetime | None = None):
    """The Independent Chair affirms or challenges the recommendation and decides."""
    now = now or clock.now()
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
    return workflow.fire(referral, "decide", actor, now=now, fields={
        "chair_stance": stance, "decision": decision, "decision_rationale": rationale.strip(),
        "decided_on": now.date(), "reviewers": [r.strip() for r in reviewers or [] if r.strip()],
    })


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
            "recommendation": RECOMMENDATION_LABELS.get(referral.recommendation, ""),
            "decision": RECOMMENDATION_LABELS.get(referral.decision, ""),
            "decision_due": decision["due"],
            "decision_rag": decision["rag"],
            "panel_notice_due": panel.due_on if panel else None,
            "panel_notice_sent": panel.sent_on if panel else None,
        })
    return rows
