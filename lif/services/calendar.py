"""Private iCalendar feeds: each person's deadlines and meetings, for Outlook and the like.

A feed lives at a secret address, ``/calendar/<token>.ics``; the token is the credential, as
calendar programs cannot sign in. Only a SHA-256 hash of the token is stored
(``User.calendar_token``), so the address is shown once, when it is created; creating a new
one or revoking it makes the old address answer 404.

What a feed holds, by role (open items always; meetings and held reviews back
``CALENDAR_PAST_DAYS``):

- PDC reviews of the ratified plans a person owns, or of every plan for ``pdc`` members: the
  review records and the next date of plans not yet reviewed;
- meetings of their committees: CIEC for ``ciec`` and ``chair``, PDC for ``pdc``, QAEC for
  ``qaec``;
- due dates of open actions of their agency (``lead``) or that they lead (``lead_email``);
- requests for information to their agency (``ciec``) and SCR decision deadlines (``chair``),
  named without titles: calendars are synced to other servers and phones, and referral
  titles may name children.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import icalendar

from config.deadlines import CALENDAR_PAST_DAYS, DONE_STATUSES

from .. import audit_trail, clock, clocks, policy
from ..models import Action, ActionPlan, InformationRequest, Meeting, PDCReview, Referral, User
from . import reference
from .sweeps import AWAITING_DECISION, link_to

TOKEN_PREFIX = "lifcal_"
_HASH_PREFIX = "sha256:"
PRODID = "-//LIF Learning and Improvement Framework//Calendar//EN"
# Committees whose meetings each role sees.
ROLE_COMMITTEES = {"ciec": "ciec", "chair": "ciec", "pdc": "pdc", "qaec": "qaec"}


@dataclass(frozen=True)
class Entry:
    """One all-day event of a feed."""

    uid: str
    day: dt.date
    summary: str
    description: str = ""
    link: str = ""


def _hash(token: str) -> str:
    return _HASH_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, actor=None) -> str:
    """Give ``user`` a new feed address (replacing any old one) and return its token.

    The token is not stored, only its hash: show it now, it cannot be shown again.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    User.objects(pk=user.pk).update_one(set__calendar_token=_hash(token))
    user.calendar_token = _hash(token)
    audit_trail.record("calendar_feed_created", actor or user, user, object_type="user")
    return token


def revoke_token(user: User, actor=None) -> None:
    """Turn ``user``'s feed address off."""
    User.objects(pk=user.pk).update_one(unset__calendar_token=True)
    user.calendar_token = None
    audit_trail.record("calendar_feed_revoked", actor or user, user, object_type="user")


def has_feed(user: User) -> bool:
    return bool(getattr(user, "calendar_token", None))


def user_for_token(token: str) -> User | None:
    """Return the active user whose feed ``token`` is, or ``None`` (unknown or revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return User.objects(calendar_token=_hash(token), active=True).first()


def _day(value: dt.date) -> dt.datetime:
    return dt.datetime.combine(value, dt.time())


def _visible(user: User, model, **query):
    """``model``'s items matching ``query`` that ``user`` may see (the policy's own filter)."""
    flt = policy.view_filter(user, model.type_key)
    if flt is None:
        return model.objects(pk=None)
    return model.objects(__raw__=flt, **query)


def _pdc_entries(user: User, since: dt.date) -> list[Entry]:
    plans = _visible(user, ActionPlan, state="ratified")
    if not user.has_role("pdc"):
        plans = plans.filter(owner=user.email)
    plans = list(plans.only("id", "title", "next_pdc_review"))
    by_id = {plan.pk: plan for plan in plans}
    entries: dict[str, Entry] = {}
    reviews = _visible(user, PDCReview, plan__in=list(by_id)).no_dereference()
    for review in reviews:
        plan = by_id.get(review.plan.id)
        if plan is None or (review.state == "closed" and review.scheduled_for < since):
            continue
        day = review.held_on or review.scheduled_for
        uid = f"pdc-{plan.pk}-{review.scheduled_for:%Y%m%d}@lif"
        entries[uid] = Entry(uid, day, f"PDC review: {plan.title}",
                             "Six-month review by the Professional Development Committee.",
                             link_to(review))
    for plan in plans:
        if plan.next_pdc_review:
            uid = f"pdc-{plan.pk}-{plan.next_pdc_review:%Y%m%d}@lif"
            entries.setdefault(uid, Entry(uid, plan.next_pdc_review,
                                          f"PDC review due: {plan.title}",
                                          "Six-month review by the Professional Development "
                                          "Committee.", link_to(plan)))
    return list(entries.values())


def _meeting_entries(user: User, since: dt.date) -> list[Entry]:
    committees = sorted({c for role, c in ROLE_COMMITTEES.items() if role in user.roles})
    if not committees:
        return []
    meetings = _visible(user, Meeting, committee__in=committees, date__gte=_day(since))
    return [
        Entry(f"meeting-{m.pk}@lif", m.date, m.title, m.location or "", link_to(m))
        for m in meetings.only("id", "title", "date", "location")
    ]


def _action_entries(user: User) -> list[Entry]:
    scope = [{"lead_email": user.email}]
    if user.has_role("lead") and user.agency:
        scope.append({"agency": user.agency})
    live = list(ActionPlan.objects(state__ne="closed", trashed__ne=True).scalar("pk"))
    flt = policy.view_filter(user, "action")
    if flt is None:
        return []
    actions = Action.objects(
        __raw__=policy.and_query(flt, {"$or": scope}), plan__in=live,
        state__nin=list(DONE_STATUSES),
    ).only("id", "title", "due_date", "lead_name", "agency")
    return [
        Entry(f"action-{a.pk}@lif", a.due_date, f"Action due: {a.title}",
              f"Lead: {a.lead_name} ({reference.agency_name(a.agency)})", link_to(a))
        for a in actions
    ]


def _ciec_entries(user: User) -> list[Entry]:
    entries = []
    if user.has_role("ciec") and user.agency:
        agency = reference.agency_name(user.agency)
        for request in _visible(user, InformationRequest, agency=user.agency,
                                state="issued").only("id", "due_on"):
            entries.append(Entry(f"information-request-{request.pk}@lif", request.due_on,
                                 f"Request for information due ({agency})",
                                 "CIEC request for information: respond in LIF.",
                                 link_to(request)))
    if user.has_role("chair"):
        # Awaiting the Chair is a state (only "Record Chair's decision" leaves it), not an
        # empty decision field: the old referral form stored one nobody made.
        for referral in _visible(user, Referral, notified_on__ne=None,
                                 state__in=AWAITING_DECISION).only("id", "notified_on"):
            entries.append(Entry(f"scr-decision-{referral.pk}@lif",
                                 clocks.decision_due(referral.notified_on), "SCR decision due",
                                 "Decide whether to initiate a Serious Case Review.",
                                 link_to(referral)))
    return entries


def entries_for(user: User, today: dt.date | None = None) -> list[Entry]:
    """Return ``user``'s deadlines and meetings, by date."""
    today = today or clock.today()
    since = today - dt.timedelta(days=CALENDAR_PAST_DAYS)
    entries = [
        *_pdc_entries(user, since),
        *_meeting_entries(user, since),
        *_action_entries(user),
        *_ciec_entries(user),
    ]
    return sorted(entries, key=lambda e: (e.day, e.summary))


def feed(user: User, *, base_url: str = "", now: dt.datetime | None = None) -> bytes:
    """Return ``user``'s calendar as iCalendar bytes.

    :param base_url: prefixes the links to LIF pages (e.g. ``https://lif.example.org``).
    """
    now = now or clock.now()
    base_url = base_url.rstrip("/")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "LIF deadlines")
    stamp = now.replace(tzinfo=dt.UTC)
    for entry in entries_for(user, now.date()):
        event = icalendar.Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + dt.timedelta(days=1))
        event.add("summary", entry.summary)
        event.add("transp", "TRANSPARENT")
        description = entry.description
        if entry.link:
            url = base_url + entry.link
            event.add("url", url)
            description = f"{description}\n{url}".strip()
        if description:
            event.add("description", description)
        cal.add_component(event)
    return cal.to_ical()
