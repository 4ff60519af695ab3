"""Reference data and the demo: the framework document's own learning, loaded idempotently.

``seed_reference`` loads the agencies (always). ``seed_demo`` loads Appendix One's 14 entries
with their numbered findings and improvement activities, demo accounts for each role (role
placeholders, never the document's named people) and example action plans. Running either
twice creates nothing new: every item is looked up by its natural key first.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections import deque
from collections.abc import Callable

from config import taxonomy

from . import audit_trail, clock, clocks
from .actors import SYSTEM, actor_email
from .demo.appendix_one import ENTRIES
from .errors import Conflict, LIFError
from .models import (
    Action,
    ActionPlan,
    Activity,
    Agency,
    Audit,
    Evidence,
    Finding,
    ProgressUpdate,
    Review,
    User,
    WorkflowEntry,
)
from .services import content, plans, users

DEMO_DOMAIN = "demo.lif.local"
#: Index entries looked up (already present?) per query while loading.
BATCH = 250


def seed_reference() -> int:
    """Create the partnership's agencies; return how many were new."""
    created = 0
    for spec in taxonomy.AGENCIES:
        if Agency.objects(key=spec["key"]).first():
            continue
        Agency(key=spec["key"], name=spec["name"], kind=spec.get("kind", "")).save()
        created += 1
    return created


def _set_state(item, state: str, at: dt.datetime, comment: str = "Loaded from the L&I Index",
               actor=SYSTEM) -> None:
    """Place an imported item in its real-world state, recording how it got there."""
    if item.state == state:
        return
    entry = WorkflowEntry(
        action="import", from_state=item.state, to_state=state, actor=actor_email(actor), at=at,
        comment=comment,
    )
    type(item).objects(pk=item.pk).update_one(set__state=state, push__workflow_history=entry)
    # The same change on the object in hand (no reload: one round trip less per item).
    item.state = state
    item.workflow_history = [*item.workflow_history, entry]
    audit_trail.record("transition", actor, item, changes={"state": [entry.from_state, state]},
                       detail=f"import: {comment}", at=at)


def _entry_state(entry: dict, date: dt.date | None, today: dt.date) -> tuple[str | None,
                                                                           dt.date | None]:
    """The state an index entry's review is placed in, and its publication date.

    An entry without a date has not reported yet (LIF's own index gives none for a review
    still in progress): it starts at the beginning of its workflow, nothing recorded for it.
    """
    if date is None:
        return None, None
    if entry["review_type"] == "scr":
        # Published SCRs stay on the website 12 months, then are available on request.
        over = clocks.publication_window_over(date, today)
        return ("on_request", date) if over else ("published", date)
    return "ratified_lscb", None


def entry_key(entry: dict) -> str:
    """The key of an index entry: its kind, name and date (``import_key`` on the item)."""
    return f"{entry['kind']}|{entry['name']}|{entry.get('date') or ''}"


def _entry_date(entry: dict) -> dt.date | None:
    return dt.date.fromisoformat(entry["date"]) if entry.get("date") else None


def seed_entries(
    entries,
    *,
    now: dt.datetime | None = None,
    actor=SYSTEM,
    dry_run: bool = False,
    on_entry: Callable[[dict, str, object], None] | None = None,
) -> dict[str, int]:
    """Load L&I Index entries as Review and Audit items; skip those already present.

    An entry is present when an item of its kind has the same name and date (or none, for
    both), or was loaded from the same entry before (its ``import_key``: also when two loads
    of the same entries run at the same moment). ``entries`` may be a generator: it is read
    as the items are stored.

    :param actor: Who creates the items (their permission to create is checked).
    :param dry_run: Count what would be created; store nothing.
    :param on_entry: Told of each entry's outcome as ``(entry, outcome, detail)``: outcome
        ``"created"`` (detail: the item, or ``None`` in a dry run), ``"present"`` (the item
        already there) or ``"refused"`` (the reason). Without it a refusal raises.
    :raises LIFError: an entry was refused and no ``on_entry`` was given.
    """
    now = now or clock.now()
    counts = {"reviews": 0, "audits": 0, "skipped": 0, "refused": 0}
    planned: set[tuple[str, str, dt.date | None]] = set()
    repeats: dict[tuple[str, str, dt.date | None], list[dict]] = {}
    sent: deque[dict] = deque()  # the entries whose rows went to be created, in order

    def tell(entry: dict, outcome: str, detail: object = None) -> None:
        if on_entry is not None:
            on_entry(entry, outcome, detail)

    def rows():
        source = iter(entries)
        while chunk := list(itertools.islice(source, BATCH)):
            present = _present(chunk)
            for entry in chunk:
                date = _entry_date(entry)
                key = (entry["kind"], entry["name"], date)
                existing = present.get(key)
                if existing is not None or (dry_run and key in planned):
                    counts["skipped"] += 1
                    tell(entry, "present", existing)
                elif key in planned:  # the same entry twice: told once the first is stored
                    repeats.setdefault(key, []).append(entry)
                elif dry_run:
                    planned.add(key)
                    counts["audits" if entry["kind"] == "audit" else "reviews"] += 1
                    tell(entry, "created", None)
                else:
                    planned.add(key)
                    sent.append(entry)
                    yield _entry_row(entry, date, now.date())

    def stored(results: list) -> None:
        for result in results:
            entry = sent.popleft()
            key = (entry["kind"], entry["name"], _entry_date(entry))
            if isinstance(result, Conflict):
                # Stored by another load at the same moment (its import key is taken).
                model = Audit if entry["kind"] == "audit" else Review
                existing = model.objects(import_key=entry_key(entry)).first()
                counts["skipped"] += 1 + len(repeats.get(key, ()))
                for same in [entry, *repeats.pop(key, ())]:
                    tell(same, "present", existing)
                continue
            if isinstance(result, LIFError):
                if on_entry is None:
                    raise result
                counts["refused"] += 1 + len(repeats.get(key, ()))
                for same in [entry, *repeats.pop(key, ())]:
                    tell(same, "refused", result.message)
                continue
            counts["audits" if entry["kind"] == "audit" else "reviews"] += 1
            tell(entry, "created", result)
            for same in repeats.pop(key, ()):
                counts["skipped"] += 1
                tell(same, "present", result)

    if dry_run:
        for _ in rows():
            pass
    else:
        content.create_many(rows(), actor, note="Loaded from the Learning and Improvement Index",
                            placed_how="Loaded from the L&I Index", now=now, on_stored=stored)
    return counts


def _entry_row(entry: dict, date: dt.date | None, today: dt.date) -> content.NewItem:
    """The Review or Audit an index entry becomes, in the state its history puts it in."""
    common = {
        "import_key": entry_key(entry),
        "title": entry["name"],
        "summary": entry["overview"][:600],
        "themes": entry["themes"],
        "agencies": entry["agencies"],
        "date": date,
        "date_label": entry.get("date_label", ""),
        "section": entry["section"],
        "findings": [Finding(number=i, text=text) for i, text in enumerate(entry["findings"], 1)],
        "activities": [Activity(text=text) for text in entry["activities"]],
    }
    if entry["kind"] == "audit":
        # An audit with a date has reported; one without is still in progress (see
        # _entry_state).
        return content.NewItem(Audit, {
            **common, "audit_type": entry["audit_type"] or "multi_agency",
            "methodology": entry["overview"], "committee": "qaec"},
            placed_in="closed" if date else None)
    state, published = _entry_state(entry, date, today)
    return content.NewItem(Review, {
        **common, "review_type": entry["review_type"], "overview": entry["overview"],
        "reference": entry.get("reference", ""), "effective": published,
        "independent_reviewer": entry.get("independent_reviewer", "")}, placed_in=state)


def _present(entries: list[dict]) -> dict[tuple[str, str, dt.date | None], object]:
    """Find the items already holding the entries' (kind, name, date), by title or by the
    key of the entry they were loaded from: two queries per kind (on indexed fields)."""
    found: dict[tuple[str, str, dt.date | None], object] = {}
    for kind, model in (("audit", Audit), ("review", Review)):
        mine = [e for e in entries if (e["kind"] == "audit") == (kind == "audit")]
        if not mine:
            continue
        for item in model.objects(title__in=sorted({e["name"] for e in mine})).only(
                "title", "date"):
            found.setdefault((kind, item.title, item.date), item)
        keys = {entry_key(e): (kind, e["name"], _entry_date(e)) for e in mine}
        for item in model.objects(import_key__in=sorted(keys)).only("import_key"):
            found.setdefault(keys[item.import_key], item)
    return found


# Demo accounts: one per role, named by role, never a real person from the document.
DEMO_USERS = [
    ("training", None, "LSCB Training Officer"),
    ("pdc", None, "PDC member"),
    ("qaec", None, "QAEC member"),
    ("chair", None, "LSCB Independent Chair"),
    ("viewer", None, "Partner agency reader"),
    ("lead", "police", "Workforce development lead (Police)"),
    ("lead", "alder_hey", "Workforce development lead (Alder Hey)"),
    ("lead", "education", "Workforce development lead (Education)"),
    ("ciec", "police", "CIEC member (Police)"),
    ("ciec", "csc", "CIEC member (Children's Social Care)"),
]


def demo_email(role: str, agency: str | None) -> str:
    return f"{role}{'.' + agency.replace('_', '-') if agency else ''}@{DEMO_DOMAIN}"


def seed_demo_users(password: str | None = None) -> tuple[int, str | None]:
    """Create the demo accounts; return how many were new and the password they share.

    A demo account is never an administrator, and its shared password only opens the door
    once: each must choose a password of its own at first sign-in.
    """
    password = password or secrets.token_urlsafe(12)
    created = 0
    for role, agency, name in DEMO_USERS:
        if role == "admin":
            raise LIFError("A demo account may not be an administrator.")
        email = demo_email(role, agency)
        if User.objects(email=email).first():
            continue
        users.create_user(email, password, [role], agency, name, must_change=True)
        created += 1
    return created, (password if created else None)


def _lead(agency: str) -> dict:
    name = next(a["name"] for a in taxonomy.AGENCIES if a["key"] == agency)
    return {
        "lead_name": f"Safeguarding lead, {name}",
        "lead_email": f"safeguarding.lead@{agency.replace('_', '-')}.{DEMO_DOMAIN}",
        "agency": agency,
    }


def seed_demo_plans(now: dt.datetime | None = None) -> int:
    """Example multi-agency and single-agency plans with actions, some overdue, some evidenced."""
    now = now or clock.now()
    today = now.date()
    created = 0
    child_a = Review.objects(title="Child A (Alex)").first()
    child_c = Review.objects(title="Child C (Chris)").first()
    front_door = Audit.objects(title__startswith="LSCB Application").first()
    neglect = Audit.objects(title="LSCB Neglect Audit").first()
    trainer = demo_email("training", None)
    demo_plans = [
        {
            "plan": {"title": "Child A (Alex): multi-agency L&I action plan",
                     "kind": "multi_agency",
                     "source_kind": "review", "review": child_a, "owner": trainer,
                     "themes": ["sudi"], "agencies": ["csc", "alder_hey", "ccg", "police"]},
            "source": child_a, "state": "ratified", "ratified": today - dt.timedelta(days=150),
            "actions": [
                ("alder_hey", -20, "in_progress",
                 "Embed the bruising in non-mobile babies guidance in ED and ward induction."),
                ("csc", 25, "in_progress",
                 "Practice guidance on checking parental understanding of milestones."),
                ("ccg", 90, "not_started",
                 "Invite all professionals to the final CIN meeting when stepping down."),
                ("police", -5, "verified",
                 "Include fathers' vulnerabilities in assessments and referrals."),
            ],
        },
        {
            "plan": {"title": "Child C (Chris): Merseyside Police single-agency plan",
                     "kind": "single_agency", "agency": "police", "source_kind": "review",
                     "review": child_c, "owner": demo_email("lead", "police"),
                     "themes": ["domestic_abuse", "cultural_competence"], "agencies": ["police"]},
            "source": child_c, "state": "ratified", "ratified": today - dt.timedelta(days=200),
            "actions": [
                ("police", -40, "in_progress",
                 "Record why a MERIT risk assessment was not completed or refused."),
                ("police", 12, "complete",
                 "Use professional interpreters, never family members, at domestic abuse "
                 "incidents."),
                ("police", 60, "not_started",
                 "Brief response officers on information sharing for migrant victims."),
            ],
        },
        {
            "plan": {"title": "Front Door audit: Alder Hey single-agency plan",
                     "kind": "single_agency", "agency": "alder_hey", "source_kind": "audit",
                     "audit": front_door, "owner": demo_email("lead", "alder_hey"),
                     "themes": ["front_door"], "agencies": ["alder_hey"]},
            "source": front_door, "state": "draft", "ratified": None,
            "actions": [
                ("alder_hey", 45, "not_started",
                 "Use the Levels of Need Framework for every referral to Careline."),
                ("alder_hey", 75, "not_started",
                 "Consider an EHAT before referral and record the decision."),
            ],
        },
        {
            "plan": {"title": "Neglect audit: multi-agency L&I action plan",
                     "kind": "multi_agency", "source_kind": "audit", "audit": neglect,
                     "owner": trainer, "themes": ["neglect"],
                     "agencies": ["csc", "education", "probation"]},
            "source": neglect, "state": "submitted", "ratified": None,
            "actions": [
                ("csc", 30, "not_started",
                 "Read the chronology before first contact after a change of worker."),
                ("education", -12, "in_progress",
                 "Training on the distinction between an EHAT and a Child in Need plan."),
                ("probation", 100, "not_started",
                 "Involve the prison service in plans when a parent is in custody."),
            ],
        },
    ]
    for spec in demo_plans:
        if spec["source"] is None or ActionPlan.objects(title=spec["plan"]["title"]).first():
            continue
        created_at = now - dt.timedelta(days=240)
        plan = content.create(ActionPlan, spec["plan"], SYSTEM, note="Demo plan", now=created_at)
        findings = spec["source"].findings
        for index, (agency, due_in, status, text) in enumerate(spec["actions"]):
            finding = findings[index % len(findings)] if findings else None
            action = content.create(
                Action,
                {"title": plans.shortened(text), "plan": plan, "description": text,
                 "finding_uid": finding.uid if finding else "",
                 "finding_text": finding.text if finding else "",
                 "due_date": today + dt.timedelta(days=due_in), "agencies": [agency],
                 **_lead(agency)},
                SYSTEM, note="Demo action", now=created_at,
            )
            extra: dict = {}
            if status in ("in_progress", "complete", "verified"):
                extra["push__progress"] = ProgressUpdate(
                    at=now - dt.timedelta(days=30), author=_lead(agency)["lead_email"],
                    text="Briefings scheduled with team managers; first sessions delivered.",
                )
            if status in ("complete", "verified"):
                extra["push__evidence"] = Evidence(
                    uid=secrets.token_hex(6), at=now - dt.timedelta(days=10),
                    author=_lead(agency)["lead_email"],
                    description="Dip sample of 20 cases shows the practice change in 17.",
                    measure="Case file dip sample, before and after (9 of 20 → 17 of 20).",
                )
                extra["set__completed_on"] = today - dt.timedelta(days=10)
            if extra:
                Action.objects(pk=action.pk).update_one(**extra)
            _set_state(action, status, now, comment="Demo data")
        if spec["state"] != "draft":
            _set_state(plan, spec["state"], now, comment="Demo data")
        if spec["ratified"]:
            ActionPlan.objects(pk=plan.pk).update_one(
                set__ratified_on=spec["ratified"],
                set__next_pdc_review=clocks.next_pdc_review(spec["ratified"]),
            )
        created += 1
    return created


def install_is_empty() -> bool:
    """Whether the database holds no content and no account but administrators'.

    Only such an install may take the demo: its accounts share one printed password.
    """
    from .models import CONTENT_TYPES

    if User.objects(roles__ne="admin").first() is not None:
        return False
    return not any(model.objects.first() is not None for model in CONTENT_TYPES.values())


def seed_demo(*, password: str | None = None) -> dict:
    """Load everything the demo shows; safe to run again.

    Callers load it only into an empty install (:func:`install_is_empty`).
    """
    result = {"agencies": seed_reference()}
    result.update(seed_entries(ENTRIES))
    result["users"], result["password"] = seed_demo_users(password)
    result["plans"] = seed_demo_plans()
    return result
