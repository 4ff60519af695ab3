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
from pymongo.errors import BulkWriteError

from config.deadlines import DONE_STATUSES
from config.workflows import WORKFLOWS

from .. import clock, clocks, emails, faults, frameworks, list_pages, policy, values, workflow
from .. import rag as lif_rag
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
from . import attachments, content, operations

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
    action_ids = [ObjectId() for _ in actions]
    with operations.several_writes(
            "plans", actor, label=f"creation of the plan '{title[:200]}' from {source.title}",
            creates={"action_plan": [plan_id], "action": action_ids}):
        plan = content.create(ActionPlan, plan_data, actor, note=f"From {source.title}", now=now,
                              pk=plan_id)
        faults.maybe_crash("plan_created")
        for spec, action_id in zip(actions, action_ids, strict=True):
            content.create(Action, {**_action_fields(spec), "plan": plan}, actor,
                           note="Draft action from a finding", now=now, pk=action_id)
            faults.maybe_crash("action_created")
    return plan


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
    """Return ``text`` if it may be stored in ``field`` (the value rules of
    :mod:`lif.values`, the field's limit), else refuse it at the field ``name``."""
    if problem := values.text_problem(text):
        raise InvalidInput(problem, field=name)
    if field.max_length and len(text) > field.max_length:
        raise InvalidInput(too_long_message(len(text), field.max_length), field=name)
    return text


def check_progress(text: str) -> str:
    """Return the progress update ``text`` as it is stored (stripped).

    :raises InvalidInput: on ``progress``: empty, over its limit (never cut short), or
        breaking a value rule (a control character, only invisible characters).
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Write what has happened.", field="progress")
    return _within_limit(text, ProgressUpdate.text, "progress")


def check_evidence(description: str, measure: str = "", *, files: bool = False
                   ) -> tuple[str, str]:
    """Return evidence of impact as it is stored: ``(description, measure)``, stripped.

    How it was measured, and a supporting file, belong to a description of what changed.
    :raises InvalidInput: on ``evidence`` (missing), or the field over its limit or breaking
        a value rule.
    """
    description = (description or "").strip()
    measure = (measure or "").strip()
    if not description:
        raise InvalidInput(
            "Say what changed for practice or for children"
            + (": how it was measured, and any file, are the evidence of that."
               if files or measure else "."), field="evidence")
    errors: dict[str, str] = {}
    for text, field, name in ((description, Evidence.description, "evidence"),
                              (measure, Evidence.measure, "measure")):
        try:
            _within_limit(text, field, name)
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return description, measure


def add_progress(action: Action, text: str, actor, now: dt.datetime | None = None) -> Action:
    """Add a dated progress update by ``actor`` to ``action``.

    :raises InvalidInput: the text is empty or over its limit; nothing is stored.
    """
    text = check_progress(text)
    entry = ProgressUpdate(at=now or clock.now(), author=actor.email, text=text)
    with _named_as({"text": "progress"}):
        return content.add_record(action, entry, actor, note="Progress update", now=now)


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

    ``files`` are already-checked uploads (``name, data, media_type, text``); once the
    evidence is known to be valid they are stored, then the evidence that lists them.
    """
    policy.require(actor, "edit", action)
    description, measure = check_evidence(description, measure, files=bool(files))
    entry = Evidence(
        action=action.pk, uid=secrets.token_hex(6), at=now or clock.now(),
        author=actor.email, description=description, measure=measure,
    )
    with _named_as({"description": "evidence"}):
        content.validate(entry)  # before any file is stored: a refusal stores nothing
        for name, data, media_type, text in files or []:
            entry.attachment_ids.append(
                attachments.add(action, name, data, media_type, text, actor).pk)
        return content.add_record(action, entry, actor, note="Evidence of impact", now=now)


@contextlib.contextmanager
def _named_as(names: dict[str, str]):
    """Name a record's fields in its errors as the doors name them ("progress", not "text")."""
    try:
        yield
    except InvalidInput as error:
        errors = {names.get(key, key): message for key, message in error.errors.items()}
        raise InvalidInput(error.message, errors=errors) from None


def read_records(actions: list[Action], *, counts_only: bool = False,
                 kinds: tuple = Action.appended) -> list[Action]:
    """Read the progress updates and evidence of many actions at once (a query per kind,
    not per action), for a page or a document listing them; return ``actions``.

    :param counts_only: read how many each has, not the records themselves.
    :param kinds: which records (default: progress updates and evidence).
    """
    by_id = {action.pk: action for action in actions if action.pk is not None}
    for model in kinds:
        if counts_only:
            counts = {row["_id"]: row["n"] for row in model.objects(
                action__in=list(by_id)).aggregate([{"$group": {"_id": "$action",
                                                               "n": {"$sum": 1}}}])}
            for pk, action in by_id.items():
                action.__dict__.setdefault("_appended_counts", {})[model] = counts.get(pk, 0)
            continue
        found: dict = {pk: [] for pk in by_id}
        for record in model.objects(action__in=list(by_id)):
            found[record.action].append(record)
        for pk, action in by_id.items():
            action.__dict__.setdefault("_appended", {})[model] = found[pk]
    return actions


def move_embedded_records() -> int:
    """Move progress updates and evidence kept inside actions (as LIF did before they were
    records of their own) into their collections; return how many actions had some.

    Safe to run again, or after a crash part-way: each record's id is derived from its action
    and place, so a second run inserts nothing twice, and the lists are removed from an
    action only after its records are stored.
    """
    done = database()[MIGRATIONS]
    if done.find_one({"_id": "records-out-of-actions"}):
        return 0  # (not a scan of every action at every start)
    actions = Action._get_collection()
    moved = 0
    for doc in actions.find({"$or": [{"progress": {"$exists": True}},
                                      {"evidence": {"$exists": True}}]},
                            {"progress": 1, "evidence": 1}):
        for model in Action.appended:
            entries = doc.get(model.label) or []
            records = [{**entry, "_id": _derived_id(doc["_id"], model.label, number),
                        "action": doc["_id"]} for number, entry in enumerate(entries)]
            if records:
                try:
                    model._get_collection().insert_many(records, ordered=False)
                except BulkWriteError as error:  # those stored by an earlier run
                    if any(e.get("code") != 11000 for e in error.details["writeErrors"]):
                        raise
        actions.update_one({"_id": doc["_id"]}, {"$unset": {"progress": "", "evidence": ""}})
        moved += 1
    done.update_one({"_id": "records-out-of-actions"}, {"$set": {"at": clock.now()}},
                    upsert=True)
    return moved


# Changes of how data is stored, each run once per database (by the first start after it).
MIGRATIONS = "lif_migrations"


def _derived_id(action_id: ObjectId, label: str, number: int) -> ObjectId:
    return ObjectId(hashlib.sha256(f"{action_id}|{label}|{number}".encode()).digest()[:12])


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


def _collect(errors: dict[str, str], check, *args, **kwargs) -> None:
    """Run ``check``; add the field messages of its refusal to ``errors``."""
    try:
        check(*args, **kwargs)
    except InvalidInput as error:
        for name, message in error.errors.items():
            errors.setdefault(name, message)


def update_action(action: Action, actor, *, progress: str = "", evidence: str = "",
                  measure: str = "", files: list[tuple] = (), file_chosen: bool = False,
                  file_errors: dict[str, str] | None = None, status: str | None = None,
                  comment: str = "") -> list[str]:
    """A lead's update of one action — progress, evidence of impact (with its files), a new
    status — in that order; return what happened, in words.

    Every part is checked before anything is written, so a refused part stores nothing at
    all. The status change goes last so evidence given with it counts for "verified".

    :param files: the evidence's files, already read and checked by the door
        (``(name, data, media_type, text)``); ``file_errors`` what it refused of them.
    :raises InvalidInput: with a message for each field concerned (``errors``).
    """
    progress, evidence, measure = progress.strip(), evidence.strip(), measure.strip()
    status = status or action.state
    errors: dict[str, str] = dict(file_errors or {})
    if progress:
        _collect(errors, check_progress, progress)
    if evidence or measure or file_chosen:
        _collect(errors, check_evidence, evidence, measure, files=file_chosen)
    if not errors:
        check_status_change(action, status, actor, comment, evidence_coming=bool(evidence))
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    done = []
    if progress:
        add_progress(action, progress, actor)
        done.append("progress added")
    if evidence:
        add_evidence(action, evidence, measure, actor, files=list(files))
        done.append("evidence of impact recorded")
    if status != action.state:
        change_status(action, status, actor, comment)
        done.append(f"status now {workflow.title_of_state('action', status, action)}")
    return done


@workflow.effect("schedule_first_pdc_review")
def schedule_first_pdc_review(plan: ActionPlan, actor, now: dt.datetime) -> None:
    """Ratifying a plan sets the first PDC review six months on (the sweep makes the record)."""
    ratified = now.date()
    ActionPlan.objects(pk=plan.pk).update_one(
        set__ratified_on=ratified,
        set__next_pdc_review=clocks.next_pdc_review(ratified, frameworks.of(plan)))
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
    return MyActions(read_records(list_pages.in_order(Action, found.ids)),
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
    rows = [r for r in report if r["outcome"] == CREATED]
    ids = [ObjectId() for _ in rows]
    with operations.several_writes(
            "imports", actor, label=f"import of {len(rows)} actions into the plan '{plan.title}'",
            creates={"action": ids}) as operation:
        for r, action_id in zip(rows, ids, strict=True):
            operation.beat()
            try:
                content.create(
                    Action, {**_action_fields(r["spec"]), "plan": plan, "import_key": r["key"]},
                    actor, note="Imported", pk=action_id)
            except Conflict:  # the same row, stored by another import of the file meanwhile
                r["outcome"] = PRESENT
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
