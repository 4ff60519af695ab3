"""Action plans and actions: RAG, plans from findings, progress, evidence of impact, import."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass

from bson import ObjectId

from config.deadlines import DONE_STATUSES
from config.workflows import WORKFLOWS

from .. import clock, clocks, emails, faults, list_pages, policy, workflow
from .. import rag as lif_rag
from ..actors import SYSTEM, actor_email
from ..dates import read_date
from ..db import database
from ..edits import too_long_message
from ..errors import Conflict, GuardFailed, InvalidInput, PermissionDenied
from ..models import (
    Action,
    ActionPlan,
    Agency,
    Audit,
    Evidence,
    ProgressUpdate,
    RecommendationLink,
    Review,
)
from ..rows import Table
from . import attachments, content

# Statuses of an action still to be done: written as ``$in`` (a planner can use an index for
# it, not for ``$nin``).
OPEN_STATUSES = [s for s in WORKFLOWS["action"]["states"] if s not in DONE_STATUSES]


# The values an action's state can take (for queries that name the states not done).
DOMAINS = {"state": tuple(WORKFLOWS["action"]["states"])}
RAG_COLOURS = ("red", "amber", "green")


def rag(action, today: dt.date | None = None) -> str:
    """Return ``red``, ``amber`` or ``green`` for an action — the one place RAG is decided.

    Red: challenged at the last PDC review (until verified), or overdue (due date passed and
    not done). Amber: due within 30 days and not done. Green otherwise. The rules are data
    (``config/deadlines.py`` ``ACTION_RAG``), the dates come from ``lif/clocks.py``.
    """
    return lif_rag.colour(action, clocks.rag_dates(today or clock.today()))


def rag_query(colour: str, today: dt.date | None = None) -> dict:
    """The same rule as :func:`rag`, as a raw query over the actions collection."""
    if colour not in RAG_COLOURS:
        raise InvalidInput(f"Unknown RAG colour '{colour}' (red, amber or green).", field="rag")
    return lif_rag.query(colour, clocks.rag_dates(today or clock.today()), DOMAINS)


def overdue_query(today: dt.date | None = None) -> dict:
    """Open actions whose due date has passed (the "overdue" condition of the RAG rules)."""
    return lif_rag.condition_query("overdue", clocks.rag_dates(today or clock.today()), DOMAINS)


# --- plans from a review or an audit ---------------------------------------------------------


def source_of(kind: str, source_id: str, user):
    """Return the review or audit a plan will answer, if ``user`` may view it."""
    model = {"review": Review, "audit": Audit}.get(kind)
    if model is None:
        raise InvalidInput("A plan's source is a review or an audit.", field="source_kind")
    return content.get(model.type_key, source_id, user)


def own_agency_plans_only(user) -> bool:
    """Whether every plan ``user`` may create is their agency's own (a workforce lead's):
    forms then start there instead of offering a multi-agency plan the policy would refuse."""
    shared = ActionPlan(kind="multi_agency", state=workflow.initial_state("action_plan"))
    return bool(getattr(user, "agency", None)) and not policy.allows(user, "create", shared)


def plan_probe(user, source, own_only: bool) -> ActionPlan:
    """The plan ``user`` would make from ``source`` by default, for the policy to judge."""
    return ActionPlan(kind="single_agency" if own_only else "multi_agency",
                      agency=user.agency if own_only else None, source_kind=source.type_key,
                      state=workflow.initial_state("action_plan"))


#: How long a title made from a longer text (a finding, a recommendation) may be.
TITLE_LENGTH = 120


def shortened(text: str, limit: int = TITLE_LENGTH) -> str:
    """Return ``text`` whole when it fits in ``limit`` characters, else cut at the last
    word that fits, with "…": a title made from a finding never ends mid-word."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–") + "…"


def draft_actions(source) -> list[dict]:
    """One draft action per finding of ``source``, pre-filled from the finding."""
    drafts = []
    for finding in source.findings:
        text = finding.text.strip()
        first = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
        description = f"In response to finding {finding.number}: {text}"
        drafts.append({
            "finding_uid": finding.uid,
            "finding_number": finding.number,
            "finding_text": text,
            "title": shortened(first),
            "description": shortened(description, Action.description.max_length),
        })
    return drafts


def answers_to_findings(source, user) -> dict[str, list[Action]]:
    """The actions ``user`` may see that answer the findings of ``source`` (a review or an
    audit): ``{finding uid: [actions by due date]}``.

    An action answers a finding when it names it and sits in a plan made from ``source``
    or, for an audit, was made from one of its recommendations.
    """
    uids = [finding.uid for finding in source.findings]
    flt = policy.view_filter(user, "action")
    if not uids or flt is None:
        return {}
    plan_ids = [p.pk for p in ActionPlan.objects(**{source.type_key: source.pk},
                                                 trashed=False).only("id")]
    where: list[dict] = [{"plan": {"$in": plan_ids}}]
    if isinstance(source, Audit):
        linked = [link.action.id for link in RecommendationLink.objects(audit=source)
                  .no_dereference().only("action")]
        where.append({"_id": {"$in": linked}})
    query = {"$and": [flt, {"finding_uid": {"$in": uids}, "$or": where}]}
    answers: dict[str, list[Action]] = {}
    for action in Action.objects(__raw__=query).order_by("due_date"):
        answers.setdefault(action.finding_uid, []).append(action)
    return answers


def finding_of(action: Action):
    """The review or audit whose finding ``action`` answers, and that finding (or
    ``(None, None)``): from the action's plan, or the audit a recommendation made it from."""
    if not action.finding_uid:
        return None, None
    sources = []
    plan = action.plan
    if plan is not None and plan.source is not None:
        sources.append(plan.source)
    link = RecommendationLink.objects(action=action).first()
    if link is not None:
        sources.append(link.audit)
    for source in sources:
        finding = next((f for f in source.findings if f.uid == action.finding_uid), None)
        if finding is not None:
            return source, finding
    return None, None


def create_plan_from_source(
    source,
    *,
    title: str,
    kind: str,
    agency: str | None,
    owner: str,
    actions: list[dict],
    actor,
    summary: str = "",
) -> ActionPlan:
    """Create a plan answering ``source`` with the chosen draft actions.

    Every action is validated before anything is stored; if one is wrong nothing is.
    :raises InvalidInput: with errors keyed ``actions.N.field``.
    """
    source_kind = source.type_key
    plan_data = {
        "title": title, "kind": kind, "agency": agency if kind == "single_agency" else None,
        "source_kind": source_kind, source_kind: source, "owner": owner, "summary": summary,
        "themes": list(source.themes), "agencies": [agency] if agency else list(source.agencies),
        "finding_uids": [a["finding_uid"] for a in actions if a.get("finding_uid")],
    }
    now = clock.now()
    plan_id = ObjectId()
    # The plan as it will be stored; the draft actions refer to it before it exists.
    draft = ActionPlan(id=plan_id, **plan_data, state=workflow.initial_state("action_plan"),
                       created_at=now)
    content.validate(draft)
    policy.require(actor, "create", draft)
    errors = {}
    probes = []
    for index, spec in enumerate(actions):
        try:
            probe = Action(plan=draft, state=workflow.initial_state("action"),
                           **_action_fields(spec))
            content.validate(probe)
            probes.append(probe)
        except InvalidInput as error:
            for field, message in error.errors.items():
                errors[f"actions.{index}.{field}"] = message
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    for probe in probes:
        policy.require(actor, "create", probe)
    _note_unfinished(plan_id, actor, now)
    try:
        plan = content.create(ActionPlan, plan_data, actor, note=f"From {source.title}", now=now,
                              pk=plan_id)
        faults.maybe_crash("plan_created")
        for spec in actions:
            content.create(Action, {**_action_fields(spec), "plan": plan}, actor,
                           note="Draft action from a finding", now=now)
            faults.maybe_crash("action_created")
    except Exception:
        # Validation passed above, so this is rare (the database went away): leave no half
        # plan. If the clean-up fails too, the note stays and the next start finishes it.
        with contextlib.suppress(Exception):
            _remove_unfinished(plan_id, "plan creation did not complete")
        raise
    database()[UNFINISHED].delete_one({"_id": plan_id})
    return plan


# A plan made from findings is several writes (the plan, then each action) and there are no
# multi-document transactions to lean on: the plan's id is noted before the first write and the
# note removed after the last. A note left behind means the process died in between (SIGKILL,
# power cut); `purge_unfinished_plans`, run at start-up, removes what had been made.
UNFINISHED = "unfinished_plans"


def _note_unfinished(plan_id: ObjectId, actor, now: dt.datetime) -> None:
    database()[UNFINISHED].insert_one({"_id": plan_id, "by": actor_email(actor), "at": now})


def _remove_unfinished(plan_id: ObjectId, reason: str) -> None:
    for action in Action.objects(plan=plan_id).only("id"):
        content.purge("action", str(action.pk), SYSTEM, reason)
    if ActionPlan.objects(pk=plan_id).only("id").first() is not None:
        content.purge("action_plan", str(plan_id), SYSTEM, reason)
    database()[UNFINISHED].delete_one({"_id": plan_id})


def purge_unfinished_plans(started_before: dt.datetime) -> int:
    """Remove plans (and their actions) whose creation began before ``started_before`` and
    never finished; return how many.

    :param started_before: leave alone what may still be in progress in another process.
    """
    count = 0
    for note in database()[UNFINISHED].find({"at": {"$lt": started_before}}):
        _remove_unfinished(note["_id"], "plan creation was interrupted; removed at start-up")
        count += 1
    return count


def _action_fields(spec: dict) -> dict:
    agency = spec.get("agency") or ""
    return {
        "title": (spec.get("title") or spec.get("description") or "")[:300],
        "description": spec.get("description", ""),
        "finding_uid": spec.get("finding_uid", ""),
        "finding_text": spec.get("finding_text", ""),
        "lead_name": spec.get("lead_name", ""),
        "lead_email": (spec.get("lead_email") or "").strip(),
        "agency": agency,
        "due_date": read_date(spec.get("due_date"), "due_date"),
        "agencies": [agency] if agency else [],
    }


# --- progress and evidence ---------------------------------------------------------------------


def _within_limit(text: str, field, name: str) -> str:
    if field.max_length and len(text) > field.max_length:
        raise InvalidInput(too_long_message(len(text), field.max_length), field=name)
    return text


def check_progress(text: str) -> str:
    """Return the progress update ``text`` as it is stored (stripped).

    :raises InvalidInput: on ``progress``: empty, or over its limit (never cut short).
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write what has happened.", field="progress")
    return _within_limit(text, ProgressUpdate.text, "progress")


def check_evidence(description: str, measure: str = "", *, files: bool = False
                   ) -> tuple[str, str]:
    """Return evidence of impact as it is stored: ``(description, measure)``, stripped.

    How it was measured, and a supporting file, belong to a description of what changed.
    :raises InvalidInput: on ``evidence`` (missing) or the field over its limit.
    """
    description = (description or "").strip()
    measure = (measure or "").strip()
    if not description:
        raise InvalidInput(
            "Say what changed for practice or for children"
            + (": how it was measured, and any file, are the evidence of that."
               if files or measure else "."), field="evidence")
    return (_within_limit(description, Evidence.description, "evidence"),
            _within_limit(measure, Evidence.measure, "measure"))


def add_progress(action: Action, text: str, actor, now: dt.datetime | None = None) -> Action:
    """Add a dated progress update by ``actor`` to ``action``.

    :raises InvalidInput: the text is empty or over its limit; nothing is stored.
    """
    text = check_progress(text)
    entry = ProgressUpdate(at=now or clock.now(), author=actor.email, text=text)
    return content.append(action, "progress", entry, actor, note="Progress update", now=now)


def add_evidence(
    action: Action,
    description: str,
    measure: str,
    actor,
    *,
    files: list | None = None,
    now: dt.datetime | None = None,
) -> Action:
    """Record evidence of impact (what changed, how it was measured, optional checked files).

    ``files`` are already-checked uploads (``name, data, media_type, text``); they are stored
    first, then the evidence that lists them.
    """
    policy.require(actor, "edit", action)
    description, measure = check_evidence(description, measure, files=bool(files))
    stored = []
    for name, data, media_type, text in files or []:
        stored.append(attachments.add(action, name, data, media_type, text, actor))
    entry = Evidence(
        uid=secrets.token_hex(6), at=now or clock.now(), author=actor.email,
        description=description, measure=measure,
        attachment_ids=[a.pk for a in stored],
    )
    return content.append(action, "evidence", entry, actor, note="Evidence of impact", now=now)


STATUS_TRANSITIONS = {
    # target status -> the transition that reaches it (from whatever state it is possible)
    "in_progress": ("start", "reopen", "restore"),
    "complete": ("complete",),
    "verified": ("verify",),
    "cancelled": ("cancel",),
}


def _transition_to(action: Action, status: str, actor) -> dict | None:
    names = STATUS_TRANSITIONS.get(status, ())
    for spec in workflow.available_transitions(action, actor):
        if spec["name"] in names:
            return spec
    return None


def status_targets(action: Action, actor) -> list[str]:
    """The action's status and the statuses ``actor`` may move it to now."""
    return [action.state] + [
        status for status in STATUS_TRANSITIONS
        if status != action.state and _transition_to(action, status, actor)
    ]


def check_status_change(
    action: Action, status: str, actor, comment: str = "", *, evidence_coming: bool = False
) -> dict | None:
    """Refuse a status change before anything is written; return the transition to fire.

    :param evidence_coming: evidence of impact is being added in the same step, so the
        "verified needs evidence" guard will pass.
    """
    if status == action.state:
        return None
    if status not in STATUS_TRANSITIONS:
        raise InvalidInput(f"'{status}' is not a status an action can be moved to.",
                           field="status")
    spec = _transition_to(action, status, actor)
    if spec is None:
        raise PermissionDenied(
            f"The action cannot go from '{workflow.state_title(action)}' to '{status}' for you."
        )
    if spec["comment_required"] and not (comment or "").strip():
        raise InvalidInput("Give the reason for this change.", field="comment")
    if spec["blocked"] and not (evidence_coming and spec["guard"] == "action_has_evidence"):
        raise GuardFailed(spec["blocked"])
    return spec


def change_status(action: Action, status: str, actor, comment: str = "") -> Action:
    """Move ``action`` to ``status`` through the workflow (its guards and roles apply)."""
    spec = check_status_change(action, status, actor, comment)
    if spec is None:
        return action
    if spec["name"] == "cancel":
        Action.objects(pk=action.pk).update_one(set__cancel_reason=comment.strip())
    return workflow.fire(action, spec["name"], actor, comment)


# --- effects of the plan and action workflows (config/workflows.py names them) ------------------


@workflow.effect("schedule_first_pdc_review")
def schedule_first_pdc_review(plan: ActionPlan, actor, now: dt.datetime) -> None:
    """Ratifying a plan sets the first PDC review six months on (the sweep makes the record)."""
    ratified = now.date()
    ActionPlan.objects(pk=plan.pk).update_one(
        set__ratified_on=ratified, set__next_pdc_review=clocks.next_pdc_review(ratified))
    plan.reload()


@workflow.effect("record_completion")
def record_completion(action: Action, actor, now: dt.datetime) -> None:
    """The date an action was completed, for "% on time" (completed on or before its due date)."""
    Action.objects(pk=action.pk).update_one(set__completed_on=now.date())
    action.reload()


@workflow.effect("clear_completion")
def clear_completion(action: Action, actor, now: dt.datetime) -> None:
    """Reopening an action forgets when it was completed."""
    Action.objects(pk=action.pk).update_one(unset__completed_on=True)
    action.reload()


def my_actions_query(user) -> dict | None:
    """The actions a workforce lead works on: their agency's, across all plans they may see."""
    flt = policy.view_filter(user, "action")
    if flt is None:
        return None
    agency = getattr(user, "agency", None)
    mine = {"agency": agency} if agency else {"lead_email": user.email}
    return policy.and_query(flt, mine)


MY_ACTIONS_PAGE = 25


@dataclass
class MyActions:
    """One page of a lead's actions and the positions of the pages around it."""

    items: list[Action]
    later: str | None  # position of the next page (later due dates), for a link
    earlier: str | None  # position of the previous page


def my_actions_page(user, *, include_done: bool = False, after: str = "", before: str = "",
                    page: int = 1) -> MyActions:
    """One page of a lead's actions: overdue first, then by due date.

    For open actions that is simply ascending due date (every overdue action is due before
    every other). Pages follow each other by position (``after``/``before`` the row a link
    names, :mod:`lif.list_pages`), so every page costs what the first does; ``page``
    counts pages from the start instead (reading the rows before it).
    """
    query = my_actions_query(user)
    if query is None:
        return MyActions([], None, None)
    if not include_done:
        query = policy.and_query(query, {"state": {"$in": OPEN_STATUSES}})
    start_after = list_pages.decode(after)
    end_before = list_pages.decode(before) if start_after is None else None
    skip = 0 if start_after or end_before else (max(page, 1) - 1) * MY_ACTIONS_PAGE
    found = list_pages.read(Action, query, "due_date", after=start_after, before=end_before,
                            skip=skip, limit=MY_ACTIONS_PAGE)
    first = not (start_after or end_before or skip)
    later = found.ids and (found.more or end_before is not None)
    earlier = found.ids and not first and (found.more or end_before is None)
    return MyActions(list_pages.in_order(Action, found.ids),
                     list_pages.encode(found.position(-1)) if later else None,
                     list_pages.encode(found.position(0)) if earlier else None)


def my_actions(user, *, include_done: bool = False, page: int = 1) -> list[Action]:
    """The actions of page ``page`` of :func:`my_actions_page`."""
    return my_actions_page(user, include_done=include_done, page=page).items


# --- bulk import -----------------------------------------------------------------------------

IMPORT_COLUMNS = ("title", "description", "lead_name", "lead_email", "agency", "due_date")


def import_actions(plan: ActionPlan, table: Table, actor, *, dry_run: bool) -> list[dict]:
    """Import actions into ``plan`` from a table read by ``documents.tables``; all or nothing.

    A row already imported into the plan (the same file again, or the same file imported by
    someone else at the same moment) is reported as present and not added again.

    :return: one report per row: ``{"row": n, "title": …, "errors": {field: message},
        "outcome": "created" | "present" | "refused"}``, ``n`` the row's number in the
        spreadsheet (in a dry run, "created" is what would be).
    :raises InvalidInput: when any row has errors and ``dry_run`` is false (nothing stored).
    """
    policy.require(actor, "import_into", plan)
    agencies = {a.key: a.key for a in Agency.objects.only("key")}
    agencies.update({a.name.lower(): a.key for a in Agency.objects.only("key", "name")})
    missing = [c for c in IMPORT_COLUMNS if c not in table.columns]
    report = []
    for row in table:
        errors = dict.fromkeys(missing, "Missing column.")
        agency_raw = row.text("agency")
        agency = agencies.get(agency_raw) or agencies.get(agency_raw.lower())
        if agency_raw and not agency:
            errors["agency"] = f"Unknown agency '{agency_raw}'."
        email = row.text("lead_email")
        if email and not emails.is_email(email):
            errors["lead_email"] = f"'{email}' is not an email address."
        try:
            due = row.date("due_date")
        except InvalidInput as error:
            errors.update(error.errors)
            due = None
        spec = {"title": row.text("title"),
                "description": row.text("description") or row.text("title"),
                "lead_name": row.text("lead_name"), "lead_email": email,
                "agency": agency or "", "due_date": due}
        if len(spec["title"]) > Action.title.max_length:  # (_action_fields would cut it)
            errors["title"] = f"The title is longer than {Action.title.max_length} characters."
        if not errors:
            probe = Action(plan=plan, state="not_started", **_action_fields(spec))
            try:
                content.validate(probe)
            except InvalidInput as error:
                errors.update(error.errors)
            else:
                decision = policy.decide(actor, "create", probe)
                if not decision:
                    errors["agency"] = decision.reason
        report.append({"row": row.number, "title": spec["title"], "errors": errors,
                       "spec": spec})
    _mark_present(plan, report)
    bad = [r for r in report if r["errors"]]
    if dry_run:
        return report
    if bad:
        raise InvalidInput(
            f"{len(bad)} of {len(report)} rows have errors; nothing was imported.",
            errors={f"row {r['row']}": "; ".join(f"{k}: {v}" for k, v in r["errors"].items())
                    for r in bad},
        )
    created = []
    try:
        for r in report:
            if r["outcome"] != CREATED:
                continue
            try:
                created.append(content.create(
                    Action, {**_action_fields(r["spec"]), "plan": plan, "import_key": r["key"]},
                    actor, note="Imported"))
            except Conflict:  # the same row, stored by another import of the file meanwhile
                r["outcome"] = PRESENT
    except Exception:
        # Leave nothing of a failed import (the importer need not be allowed to purge).
        for action in created:
            with contextlib.suppress(Exception):
                content.purge("action", str(action.pk), SYSTEM, "import did not complete")
        raise
    return report


CREATED, PRESENT, REFUSED = "created", "present", "refused"


def _mark_present(plan: ActionPlan, report: list[dict]) -> None:
    """Give each row of an import its key and its outcome: refused (it has errors), present
    (a row saying the same is in the plan from an earlier import of the file) or created.

    A row's key is the plan, what the row says and which copy of that row in the file it is
    (two identical rows are two actions); actions keep it in their unique ``import_key``.
    """
    copies: Counter = Counter()
    for r in report:
        said = json.dumps({k: str(v or "") for k, v in r["spec"].items()}, sort_keys=True)
        digest = hashlib.sha256(said.encode()).hexdigest()[:40]
        copies[digest] += 1
        r["key"] = f"action|{plan.pk}|{digest}|{copies[digest]}"
    keys = [r["key"] for r in report]
    present = set(Action.objects(import_key__in=keys).scalar("import_key")) if keys else set()
    for r in report:
        r["outcome"] = REFUSED if r["errors"] else PRESENT if r["key"] in present else CREATED
