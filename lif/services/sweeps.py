"""The deadlines the framework keeps, as idempotent sweeps over the database.

Each sweep takes ``now`` and returns a summary of what it did. Sweeps hold no state of their
own: whether something was done is read back from the database, and doing it twice is
refused by a unique key there — a PDC review is unique per (plan, date), a meeting per
``slot``, a message per ``key``. So one sweep or several at once, from the in-process
scheduler, ``flask --app app lif scheduler`` or ``lif sweep`` from cron, give each review
record and each reminder exactly once. Keys name the *current* step of a clock (the
reminder 7 days before, the 3rd week overdue), so a sweep after a long downtime sends the
one message that is due now, not every one it missed.

Every date a clock sets comes from ``lif/clocks.py`` (numbers in ``config/deadlines.py``).

Messages about referrals and requests for information never carry titles or names (they
may name children); they point to the item in LIF, where access is checked.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable

from config.deadlines import DONE_STATUSES

from .. import clock, clocks, frameworks, list_pages
from ..actors import SYSTEM
from ..errors import Conflict
from ..models import (
    Action,
    ActionPlan,
    Audit,
    InformationRequest,
    Meeting,
    PDCReview,
    Referral,
    Review,
    User,
)
from . import audits, content, notifications, operations, reference

log = logging.getLogger(__name__)

ReviewHook = Callable[[PDCReview], object]

# States of a referral still waiting for the Independent Chair's decision.
AWAITING_DECISION = ("submitted", "accepted", "considered")


def link_to(item) -> str:
    """Return the path of ``item``'s page in LIF (what a message links to)."""
    return f"/admin/{item.type_key}/details/?id={item.pk}"


def _under_frameworks_with(clock_name: str) -> dict:
    """A raw query for the items made under a framework that sets the clock ``clock_name``."""
    names = [fw.name for fw in frameworks.every() if clock_name in fw.clocks]
    if frameworks.default_name() in names:
        names.append(None)
    return {"framework": {"$in": names}}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _emails(roles: Iterable[str], agency: str | None = None) -> list[str]:
    """Return the emails of active users holding any of ``roles`` (in ``agency`` if given)."""
    query = User.objects(roles__in=list(roles), active=True)
    if agency is not None:
        query = query.filter(agency=agency)
    return sorted(query.scalar("email"))


class _Run:
    """One sweep's ``now``, whether it only looks (``dry_run``), and what it counted."""

    def __init__(self, now: dt.datetime, dry_run: bool) -> None:
        self.now = now
        self.today = now.date()
        self.dry_run = dry_run
        self.counts: dict[str, int] = {}

    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.counts[name] = self.counts.get(name, 0) + n

    def tell(self, recipients: Iterable[str], base_key: str, subject: str, body: str,
             about) -> int:
        """Send the message ``base_key`` about item ``about`` to each recipient who has not had
        it yet (its text as that recipient may read it)."""
        keys = {
            notifications.personal_key(base_key, email): email.strip().lower()
            for email in recipients
            if email and email.strip()
        }
        already = notifications.exists(list(keys))
        sent = 0
        for key, email in keys.items():
            if key in already:
                continue
            if self.dry_run or notifications.notify(email, subject, body, key, link_to(about),
                                                    self.now, about=about):
                sent += 1
        self.count("messages", sent)
        return sent


# --- 1. PDC reviews ------------------------------------------------------------------------


def _schedule_review(plan: ActionPlan, when: dt.date, now: dt.datetime) -> tuple[PDCReview, bool]:
    """Return the review of ``plan`` on ``when``, creating it unless another sweep did."""
    data = {
        "title": f"PDC review: {plan.title}"[:300],
        "plan": plan,
        "scheduled_for": when,
        "themes": list(plan.themes),
        "agencies": list(plan.agencies) or ([plan.agency] if plan.agency else []),
    }
    try:
        review = content.create(
            PDCReview, data, SYSTEM, now=now,
            note="Scheduled six-month PDC review",
        )
        return review, True
    except Conflict:
        # The database's unique (plan, scheduled_for): another sweep created it meanwhile.
        return PDCReview.objects(plan=plan, scheduled_for=_midnight(when)).get(), False


def create_due_pdc_reviews(
    now: dt.datetime, *, on_review_created: ReviewHook | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Create the PDC review of every ratified plan whose next review date has come.

    The plan's owner and the PDC members are told. The plan's date stays until the review
    is closed; closing it moves the date six months on (``pdc.schedule_next_pdc_review``).

    :param on_review_created: called with each review this sweep created, e.g. to attach the
        Word review pack (``lif`` does not know Word; the scheduler passes it). Its errors are
        logged and do not stop the sweep.
    """
    run = _Run(now, dry_run)
    pdc_members = _emails(["pdc"])
    plans = ActionPlan.objects(
        state="ratified", trashed__ne=True, next_pdc_review__lte=_midnight(run.today)
    )
    for plan in plans:
        when = plan.next_pdc_review
        review = PDCReview.objects(plan=plan, scheduled_for=_midnight(when)).first()
        if review is None and dry_run:
            run.count("reviews_created")
            run.count("messages", len({plan.owner, *pdc_members} - {""}))
            continue
        if review is None:
            review, created = _schedule_review(plan, when, now)
            if created:
                run.count("reviews_created")
                if on_review_created is not None:
                    try:
                        on_review_created(review)
                    except Exception:  # noqa: BLE001 - a missing pack must not stop the sweep
                        log.exception("Review pack for %s failed", review.pk)
                        run.count("pack_errors")
        if review.trashed or review.state != "scheduled":
            continue
        run.tell(
            [plan.owner, *pdc_members],
            f"pdc-review:{plan.pk}:{when.isoformat()}",
            f"PDC six-month review due {_long(when)}: {plan.title}",
            f"The action plan '{plan.title}' is due for its six-month review by the "
            f"Professional Development Committee on {_long(when)}. The review record and its "
            "pack are in LIF: record a verdict for each action (impact evidenced, challenged, "
            "not yet due) and the minutes.",
            review,
        )
    return run.counts


# --- 2. Action reminders -------------------------------------------------------------------


def send_action_reminders(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Remind the lead of each open action of a ratified plan before it is due, then while
    it is overdue; the agency's ``lead`` users are told too.

    Draft and submitted plans are left alone: their dates are not agreed yet.
    """
    run = _Run(now, dry_run)
    live = list(ActionPlan.objects(state="ratified", trashed__ne=True).scalar("pk"))
    horizon = clocks.latest_due_with_a_reminder_step(run.today)
    actions = Action.objects(
        plan__in=live,
        trashed__ne=True,
        state__nin=list(DONE_STATUSES),
        due_date__lte=_midnight(horizon),
    ).no_dereference()
    leads: dict[str, list[str]] = {}
    for action in actions:
        step = clocks.action_reminder_step(action.due_date, run.today, frameworks.of(action))
        if step is None:
            continue
        if action.agency not in leads:
            leads[action.agency] = _emails(["lead"], action.agency)
        due = _long(action.due_date)
        if step.startswith("due-"):
            days = (action.due_date - run.today).days
            subject = f"Action due {due} (in {days} day{'s' if days != 1 else ''}): {action.title}"
            body = (f"The action '{action.title}' led by {action.lead_name} "
                    f"({reference.agency_name(action.agency)}) is due on {due}. Record progress "
                    "and evidence of impact in LIF, or mark it complete.")
        else:
            days = (run.today - action.due_date).days
            subject = f"Action overdue since {due}: {action.title}"
            body = (f"The action '{action.title}' led by {action.lead_name} "
                    f"({reference.agency_name(action.agency)}) was due on {due} and is "
                    f"{days} days overdue. Update it in LIF: record progress, evidence of "
                    "impact, or completion. You will be reminded weekly while it is overdue.")
        if run.tell([action.lead_email, *leads[action.agency]], f"action:{action.pk}:{step}",
                    subject, body, action):
            run.count("overdue" if step.startswith("overdue") else "reminders")
    return run.counts


# --- 3. CIEC requests for information ------------------------------------------------------


def send_information_request_reminders(
    now: dt.datetime, *, dry_run: bool = False
) -> dict[str, int]:
    """Remind the agency's CIEC members before a request for information is due, and chase
    it once when the date has passed. With no CIEC member in the agency, administrators are
    told (the LSCB Administrator issues the requests)."""
    run = _Run(now, dry_run)
    for framework in frameworks.every():
        horizon = clocks.latest_due_reminded(run.today, framework)
        requests = InformationRequest.objects(
            __raw__=frameworks.made_under(framework),
            state="issued", trashed__ne=True, due_on__lte=_midnight(horizon)
        ).no_dereference()
        for request in requests:
            _remind_of_request(run, request)
    return run.counts


def _remind_of_request(run: _Run, request: InformationRequest) -> None:
    recipients = _emails(["ciec"], request.agency) or _emails(["admin"])
    agency = reference.agency_name(request.agency)
    due = _long(request.due_on)
    if request.due_on >= run.today:
        step, subject = "reminder", f"Request for information due {due} ({agency})"
        body = (f"A CIEC request for information to {agency} is due on {due}. Respond in "
                "LIF before the next CIEC meeting.")
    else:
        step, subject = "chase", f"Request for information overdue since {due} ({agency})"
        body = (f"A CIEC request for information to {agency} was due on {due} and has no "
                "response yet. The CIEC needs it to consider the case: respond in LIF now.")
    if run.tell(recipients, f"information_request:{request.pk}:{step}", subject, body, request):
        run.count("chases" if step == "chase" else "reminders")


# --- 4. SCR decision clock -----------------------------------------------------------------


def send_scr_decision_alerts(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Tell the Chair and administrators when a referral's SCR decision is near (amber) and
    when its month has passed without one (red); after downtime only the current colour."""
    run = _Run(now, dry_run)
    # The state says whether the Chair decided (only "Record Chair's decision" leaves these
    # states), not a decision field: the old referral form stored one nobody made.
    referrals = Referral.objects(
        __raw__=_under_frameworks_with("scr_decision"),
        trashed__ne=True, notified_on__ne=None, state__in=AWAITING_DECISION
    ).only("id", "notified_on", "framework")
    recipients = _emails(["chair", "admin"])
    for referral in referrals:
        framework = frameworks.of(referral)
        deadline = clocks.decision_due(referral.notified_on, framework)
        colour = clocks.decision_rag(referral.notified_on, None, run.today, framework)
        if colour == "red":
            subject = f"SCR decision overdue: it was due {_long(deadline)}"
        elif colour == "amber":
            subject = f"SCR decision due by {_long(deadline)}"
        else:
            continue
        body = (f"The LSCB was notified of an incident on {_long(referral.notified_on)}. The "
                "decision whether to initiate a Serious Case Review is due within "
                f"{clocks.describe('scr_decision', framework)}, by {_long(deadline)}. Open "
                "the referral "
                "in LIF.")
        if run.tell(recipients, f"referral:{referral.pk}:decision-{colour}", subject, body,
                    referral):
            run.count(colour)
    return run.counts


# --- 5. National Panel notice --------------------------------------------------------------


def send_national_panel_notices(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Tell administrators, once per referral, that the National Panel must hear within 14
    days of a decision *not* to hold an SCR (flowchart step 9), and by which date; chase once
    if that date passes and the notice is still not marked sent.

    The first message goes as soon as a sweep sees the decision, so the 14 days are there to
    act in. Both stop once the National Panel notice on the referral is marked sent
    (``referrals.mark_notice_sent``): nobody is told to do what is done.
    """
    run = _Run(now, dry_run)
    referrals = Referral.objects(
        __raw__={"decision": {"$nin": [None, "scr"]}, "decided_on": {"$ne": None},
                 **_under_frameworks_with("national_panel_notice")},
        trashed__ne=True,
        state__in=["decided", "closed"],
    ).only("id", "decided_on", "notices", "framework")
    recipients = _emails(["admin"])
    for referral in referrals:
        notice = next((n for n in referral.notices if n.kind == "national_panel"), None)
        if notice is not None and notice.sent_on is not None:
            continue
        framework = frameworks.of(referral)
        by = notice.due_on if notice is not None else clocks.national_panel_notice_due(
            referral.decided_on, framework)
        what = ("the Serious Incident Notification (or brief anonymised details) and why the "
                "case does not meet the SCR criteria (CIGSUM1)")
        if run.today <= by:
            step, counter = "national-panel", "notices"
            subject = f"Notify the National Panel by {_long(by)}: no SCR decided"
            body = (f"On {_long(referral.decided_on)} the Independent Chair decided not to "
                    "initiate a Serious Case Review. The National Panel must be told within "
                    f"{clocks.describe('national_panel_notice', framework)}, by {_long(by)}, "
                    f"with {what}. "
                    "Mark the notice sent on the referral once it has gone.")
        else:
            step, counter = "national-panel-overdue", "chases"
            subject = f"National Panel notice overdue since {_long(by)}: no SCR decided"
            body = (f"The National Panel had to be told by {_long(by)} of the decision of "
                    f"{_long(referral.decided_on)} not to initiate a Serious Case Review, with "
                    f"{what}. The notice is not marked sent: send it, then mark it sent on "
                    "the referral.")
        if run.tell(recipients, f"referral:{referral.pk}:{step}", subject, body, referral):
            run.count(counter)
    return run.counts


# --- 6. Monthly CIEC meeting ---------------------------------------------------------------


def create_ciec_meetings(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Make sure this month's and next month's CIEC meetings exist (slot ``ciec:YYYY-MM``).

    Next month's too, so referrals can be put on its agenda and calendars show it ahead.
    """
    run = _Run(now, dry_run)
    this_month = run.today.replace(day=1)
    for first in (this_month, clock.add_months(this_month, 1)):
        slot = f"ciec:{first:%Y-%m}"
        if Meeting.objects(slot=slot).first() is not None:
            continue
        if dry_run:
            run.count("meetings_created")
            continue
        when = clocks.ciec_meeting_on(first.year, first.month)
        try:
            content.create(
                Meeting,
                {"title": f"CIEC meeting {when:%B %Y}", "committee": "ciec", "date": when,
                 "slot": slot},
                SYSTEM, now=now, note="Monthly CIEC meeting",
            )
        except Conflict:
            continue  # another sweep created it
        run.count("meetings_created")
    return run.counts


# --- 7. Publication windows ----------------------------------------------------------------


def send_publication_window_notices(
    now: dt.datetime, *, dry_run: bool = False
) -> dict[str, int]:
    """Tell administrators when a published SCR has had its 12 months on the website.

    The state is not changed: the source asks for "a minimum of 12 months" (Working Together
    2015, p79), so moving a review to "available on request" stays a person's decision (the
    ``end_publication`` transition, whose guard enforces the minimum).
    """
    run = _Run(now, dry_run)
    recipients = _emails(["admin"])
    for framework in frameworks.every():
        cutoff = clocks.latest_publication_over(run.today, framework)
        reviews = Review.objects(
            __raw__=frameworks.made_under(framework),
            review_type__in=list(framework.vocabulary["published_reviews"]),
            state="published", trashed__ne=True, effective__lte=_midnight(cutoff)
        ).only("id", "title", "effective")
        for review in reviews:
            subject = f"Publication window over: {review.title}"
            body = (f"'{review.title}' has been published since {_long(review.effective)}, at "
                    f"least {clocks.describe('publication', framework)}. It may now move to "
                    "'available on request' (or stay published).")
            if run.tell(recipients, f"review:{review.pk}:published-since:{review.effective}",
                        subject, body, review):
                run.count("notices")
    return run.counts


# --- 7b. Audit returns --------------------------------------------------------------------


def send_audit_return_reminders(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Remind each agency's lead auditor, weekly while an audit is in fieldwork, of the audit
    tools their agency has not returned (the QAEC's progress view, as a message)."""
    run = _Run(now, dry_run)
    year, week, _ = run.today.isocalendar()
    for audit in Audit.objects(state__in=list(audits.ANSWER_STATES), trashed__ne=True):
        for pending in audits.pending_returns(audit):
            recipients = ([pending.lead_auditor] if pending.lead_auditor
                          else _emails(["qaec"], pending.agency) or _emails(["qaec"]))
            due = f" by {_long(pending.due_date)}" if pending.due_date else ""
            subject = f"Audit tools to return{due}: {audit.title}"
            body = (f"{len(pending.case_refs)} audit tool(s) for "
                    f"{reference.agency_name(pending.agency)} are not returned yet "
                    f"({', '.join(pending.case_refs[:10])}). Answer them in LIF.")
            key = f"audit:{audit.pk}:{pending.agency}:returns:{year}-{week:02d}"
            if run.tell(recipients, key, subject, body, audit):
                run.count("reminders")
    return run.counts


# --- 8. Email ------------------------------------------------------------------------------


def deliver_email(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int | str]:
    """Queue daily digests and send due emails (retrying failures) over SMTP, if configured."""
    return notifications.deliver(now, dry_run=dry_run)


def refresh_list_fences(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Recompute, once a day, the fence posts that make long lists fast to page
    (:mod:`lif.list_pages`)."""
    if dry_run:
        return {}
    return {name: 1 for name in list_pages.refresh_all(now)}


# --- 9. Repairs ------------------------------------------------------------------------------


def repair_interrupted(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Remove what processes killed part-way through an operation left behind (on a database
    shared with other processes, the start-up repair of one process is not enough).

    Only the notes of unfinished operations are read (uploads are operations too), never a
    scan of the files: that is the start-up repair's. Judged at the real time, whatever
    ``now`` the sweep runs for.
    """
    return operations.repair(dry_run=dry_run)


# --- all of them ---------------------------------------------------------------------------

SWEEPS: dict[str, Callable[..., dict]] = {
    "repairs": repair_interrupted,  # first: the others then see no half-made item
    "ciec_meetings": create_ciec_meetings,
    "pdc_reviews": create_due_pdc_reviews,
    "action_reminders": send_action_reminders,
    "information_requests": send_information_request_reminders,
    "scr_decisions": send_scr_decision_alerts,
    "national_panel": send_national_panel_notices,
    "publication_windows": send_publication_window_notices,
    "audit_returns": send_audit_return_reminders,
    "list_fences": refresh_list_fences,
    "email": deliver_email,  # last, so this run's messages go out in this run
}


def run_all(
    now: dt.datetime, on_review_created: ReviewHook | None = None, *, dry_run: bool = False
) -> dict[str, dict]:
    """Run every sweep for ``now`` and return ``{sweep: summary}``.

    A sweep that fails is logged and reported as ``{"error": ...}``; the others still run.

    :param on_review_created: passed to :func:`create_due_pdc_reviews`.
    :param dry_run: count what would be done, change nothing.
    """
    summary: dict[str, dict] = {}
    for name, sweep in SWEEPS.items():
        kwargs = {"dry_run": dry_run}
        if name == "pdc_reviews":
            kwargs["on_review_created"] = on_review_created
        try:
            summary[name] = sweep(now, **kwargs)
        except Exception as error:  # noqa: BLE001 - one broken sweep must not stop the rest
            log.exception("Sweep %s failed", name)
            summary[name] = {"error": f"{type(error).__name__}: {error}"}
    return summary
