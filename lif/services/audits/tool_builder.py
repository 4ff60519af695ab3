"""Phase 3, the audit tools: versioned questionnaires built question by question; a published
version is frozen, and changing it makes the next version.
"""

from __future__ import annotations

import datetime as dt

from mongoengine.errors import NotUniqueError, SaveConditionError

from ... import audit_trail
from ...actors import actor_email
from ...errors import Conflict, InvalidInput, NotFound
from ...models import Audit, AuditTool, Question, ToolAssignment
from ...models.learning import new_uid
from .common import _now, _one_of, _require_setup
from .rules import CHOICE_KINDS, KIND_LABELS, MAX_OPTIONS, MAX_SCALE_STEPS, MIN_OPTIONS


def _options(raw) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    return [str(o).strip() for o in (raw or []) if str(o).strip()]


def clean_question(data: dict, uid: str | None = None) -> Question:
    """Build a question from form data, or raise :class:`InvalidInput` naming the field.

    :param data: ``text``, ``kind``, ``options`` (a list or one option per line), ``scale_min``,
        ``scale_max``, ``help``, ``required``.
    """
    text = (data.get("text") or "").strip()
    kind = data.get("kind") or ""
    errors = {}
    if not text:
        errors["text"] = "Write the question."
    elif len(text) > 2000:
        errors["text"] = "Keep the question under 2,000 characters."
    if kind not in KIND_LABELS:
        errors["kind"] = "Choose the kind of answer."
    question = Question(uid=uid or data.get("uid") or new_uid(), text=text, kind=kind,
                        help=(data.get("help") or "").strip()[:2000],
                        required=bool(data.get("required", True)))
    if kind in CHOICE_KINDS:
        options = _options(data.get("options"))
        if len(options) < MIN_OPTIONS:
            errors["options"] = (
                "A choice question needs at least two options, one per line."
                if options else "A choice question needs its options: give at least two, "
                "one per line."
            )
        elif len(options) > MAX_OPTIONS:
            errors["options"] = f"Give at most {MAX_OPTIONS} options."
        elif len({o.lower() for o in options}) != len(options):
            errors["options"] = "Each option must be different."
        elif any(len(o) > 300 for o in options):
            errors["options"] = "Keep each option under 300 characters."
        question.options = options
    elif kind == "scale":
        try:
            low = int(data.get("scale_min") if data.get("scale_min") not in (None, "") else 1)
            high = int(data.get("scale_max") if data.get("scale_max") not in (None, "") else 5)
        except (TypeError, ValueError):
            errors["scale_min"] = "Give whole numbers for the ends of the scale."
        else:
            if high <= low:
                errors["scale_max"] = "The top of the scale must be above its bottom."
            elif high - low > MAX_SCALE_STEPS:
                errors["scale_max"] = f"A scale has at most {MAX_SCALE_STEPS} steps."
            question.scale_min, question.scale_max = low, high
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return question


def _touch(tool: AuditTool, actor, now: dt.datetime) -> AuditTool:
    """Save a draft tool unless someone changed it since it was read."""
    before = tool.modified_at
    tool.modified_at, tool.modified_by = now, actor_email(actor)
    try:
        if before is None:
            tool.save()
        else:
            tool.save(save_condition={"modified_at": before})
    except SaveConditionError:
        raise Conflict(
            "Someone else changed this tool meanwhile; reload it and make your change again."
        ) from None
    return tool


def create_tool(
    audit: Audit,
    name: str,
    actor,
    *,
    purpose: str = "case_file",
    questions: list[dict] | None = None,
    now: dt.datetime | None = None,
) -> AuditTool:
    """Create version 1 of an audit tool, as a draft.

    :raises InvalidInput: no name, an unknown purpose, or a bad question; nothing is stored.
    """
    now = _now(now)
    _require_setup(actor, audit)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the tool.", field="name")
    if len(name) > 300:
        raise InvalidInput("Keep the name under 300 characters.", field="name")
    if purpose not in ("case_file", "section11"):
        raise InvalidInput("Choose what the tool is for.", field="purpose")
    built = []
    for number, data in enumerate(questions or [], start=1):
        try:
            built.append(clean_question(data))
        except InvalidInput as error:
            raise InvalidInput(f"Question {number}: {error.message}", errors={
                k: f"Question {number}: {v}" for k, v in error.errors.items()}) from None
    tool = AuditTool(audit=audit, name=name, purpose=purpose, version=1, questions=built,
                     created_at=now, created_by=actor_email(actor), modified_at=now,
                     modified_by=actor_email(actor))
    tool.save(force_insert=True)
    audit_trail.record("create_tool", actor, audit, at=now, detail=str(tool))
    return tool


def tools(audit: Audit) -> list[AuditTool]:
    """Return every version of every tool of the audit, by name and version."""
    return list(AuditTool.objects(audit=audit).order_by("name", "key", "version"))


def latest_tools(audit: Audit) -> list[AuditTool]:
    """Return the newest version of each tool of the audit."""
    newest: dict[str, AuditTool] = {}
    for tool in tools(audit):
        if tool.key not in newest or tool.version > newest[tool.key].version:
            newest[tool.key] = tool
    return sorted(newest.values(), key=lambda t: t.name.lower())


def get_tool(audit: Audit, tool_id) -> AuditTool:
    """Return one tool version of ``audit``.

    :raises NotFound: no such tool in this audit.
    """
    return _one_of(AuditTool, audit, tool_id, "No such audit tool in this audit.")


def draft_of(tool: AuditTool, actor, *, now: dt.datetime | None = None) -> AuditTool:
    """Return the draft to edit for ``tool``: itself if a draft, else a new version.

    Changing a published tool never changes what was asked: a copy with the next version
    number (same question uids) becomes the draft.
    """
    now = _now(now)
    _require_setup(actor, tool.audit)
    if not tool.published:
        return tool
    newest = AuditTool.objects(audit=tool.audit, key=tool.key).order_by("-version").first()
    if newest is not None and not newest.published:
        return newest
    copy = AuditTool(
        audit=tool.audit, key=tool.key, name=tool.name, purpose=tool.purpose,
        version=newest.version + 1,
        questions=[Question(**q.to_mongo().to_dict()) for q in tool.questions],
        created_at=now, created_by=actor_email(actor), modified_at=now,
        modified_by=actor_email(actor),
    )
    try:
        copy.save(force_insert=True)
    except NotUniqueError:
        raise Conflict("Someone else started a new version of this tool; reload it.") from None
    audit_trail.record("new_tool_version", actor, tool.audit, at=now, detail=str(copy))
    return copy


def add_question(tool: AuditTool, data: dict, actor, *, now: dt.datetime | None = None
                 ) -> AuditTool:
    """Add a question to the tool (to a new draft version if it is published).

    :return: the draft version the question was added to.
    :raises InvalidInput: no text, unknown kind, a choice question without options, a bad
        scale; nothing is stored.
    """
    now = _now(now)
    question = clean_question(data, uid=new_uid())
    draft = draft_of(tool, actor, now=now)
    draft.questions.append(question)
    return _touch(draft, actor, now)


def update_question(tool: AuditTool, uid: str, data: dict, actor, *,
                    now: dt.datetime | None = None) -> AuditTool:
    """Change a question (in a new draft version if the tool is published); its uid stays."""
    now = _now(now)
    if tool.question(uid) is None:
        raise NotFound("No such question in this tool.")
    question = clean_question(data, uid=uid)
    draft = draft_of(tool, actor, now=now)
    draft.questions = [question if q.uid == uid else q for q in draft.questions]
    return _touch(draft, actor, now)


def remove_question(tool: AuditTool, uid: str, actor, *, now: dt.datetime | None = None
                    ) -> AuditTool:
    """Remove a question (from a new draft version if the tool is published)."""
    now = _now(now)
    if tool.question(uid) is None:
        raise NotFound("No such question in this tool.")
    draft = draft_of(tool, actor, now=now)
    draft.questions = [q for q in draft.questions if q.uid != uid]
    return _touch(draft, actor, now)


def move_question(tool: AuditTool, uid: str, offset: int, actor, *,
                  now: dt.datetime | None = None) -> AuditTool:
    """Move a question up (``offset`` -1) or down (+1)."""
    now = _now(now)
    draft = draft_of(tool, actor, now=now)
    uids = [q.uid for q in draft.questions]
    if uid not in uids:
        raise NotFound("No such question in this tool.")
    index = uids.index(uid)
    target = max(0, min(len(uids) - 1, index + offset))
    questions = list(draft.questions)
    questions.insert(target, questions.pop(index))
    draft.questions = questions
    return _touch(draft, actor, now)


def publish_tool(tool: AuditTool, actor, *, now: dt.datetime | None = None) -> AuditTool:
    """Publish a draft version: it is frozen and can be sent out.

    Assignments of earlier versions that nobody has started move to this version; those with
    answers stay on the version they were answered in.

    :raises InvalidInput: the tool has no questions, or is already published.
    """
    now = _now(now)
    _require_setup(actor, tool.audit)
    if tool.published:
        raise InvalidInput(f"Version {tool.version} is already published.")
    if not tool.questions:
        raise InvalidInput("Add at least one question before publishing.", field="questions")
    updated = AuditTool.objects(pk=tool.pk, published=False).update_one(
        set__published=True, set__published_at=now, set__published_by=actor_email(actor)
    )
    if not updated:
        raise Conflict("This version was published meanwhile.")
    tool.reload()
    moved = ToolAssignment.objects(
        audit=tool.audit, tool_key=tool.key, state="assigned", tool_version__lt=tool.version,
    ).update(set__tool=tool, set__tool_version=tool.version, inc__version=1)
    audit_trail.record("publish_tool", actor, tool.audit, at=now,
                       detail=f"{tool}; {moved} unstarted returns moved to it")
    return tool

