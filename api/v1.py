"""The JSON API, version 1, under ``/api/v1``.

Authentication is ``Authorization: Bearer <token>`` only (``flask --app app lif create-token
EMAIL``); the session cookie of a signed-in browser is never looked at, which is why the
blueprint is exempt from CSRF. Every list and item goes through the same permission rules as
the admin (:mod:`lif.policy`); every write goes through the same services, which record
it in the audit trail with the client's address. Items are serialised field by field here,
never dumped: what a client sees is what this module names.

Errors are ``{"error": message, "status": code, "fields": {field: message}}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask import Blueprint, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException, default_exceptions

from config import taxonomy
from documents.uploads import DocumentError, check_upload, read_upload, too_large_message
from lif import frameworks, policy, redact, values, workflow
from lif.errors import Conflict, InvalidInput, LIFError
from lif.models import Action, ActionPlan, Audit, Referral, Review
from lif.models.action_plan import PDC_VERDICTS
from lif.models.referral import CRITERIA, DECISIONS, RECOMMENDATIONS
from lif.search import SearchQueryError, SearchUnavailable
from lif.services import api_queries, content, plans, reference, referrals, searching, users

from . import openapi

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

# Routes that answer without a token: the description of the API holds no data.
OPEN_ENDPOINTS = {"api_v1.openapi_document"}


class Unauthenticated(LIFError):
    """No bearer token, or one that is unknown, revoked or of an inactive account."""

    status = 401


class UnsupportedBody(LIFError):
    status = 415


# --- authentication, errors, headers -----------------------------------------------------------


@bp.before_request
def authenticate():
    """Find the user of the bearer token; refuse the request without a valid one."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Send an API token: 'Authorization: Bearer <token>'.")
    user = users.user_for_token(token)
    if user is None:
        raise Unauthenticated("The API token is not valid, or it has been revoked.")
    # Services record the actor's address in the audit trail.
    user.address = request.remote_addr or ""
    g.api_user = user
    g.api_token_prefix = token.split("_")[1]
    return None


def _error(status: int, message: str, fields: dict | None = None, **extra):
    response = jsonify({"error": message, "status": status, "fields": fields or {}, **extra})
    response.status_code = status
    if status == 401:
        given = bool(request.headers.get("Authorization"))
        response.headers["WWW-Authenticate"] = 'Bearer realm="LIF API"' + (
            ', error="invalid_token"' if given else ""
        )
    return response


@bp.errorhandler(LIFError)
def lif_error(error: LIFError):
    """A service's refusal; an edit conflict also says what the item is now."""
    extra, fields = {}, dict(error.errors)
    current = getattr(error, "current", None)
    if isinstance(error, Conflict) and current is not None:
        extra["current"] = {
            "version": current.version,
            "modified_by": current.modified_by,
            "modified_at": _iso(current.modified_at),
        }
        fields.setdefault("version", error.message)
    return _error(error.status, error.message, fields, **extra)


@bp.errorhandler(DocumentError)
def document_error(error: DocumentError):
    return _error(400, str(error), {"file": str(error)})


def http_error(error: HTTPException):
    if error.code == 413:
        message = too_large_message(current_app.config["LIF_MAX_UPLOAD_MB"])
        return _error(413, message, {"file": message})
    return _error(error.code or 500, error.description or error.name, {})


# By code, not only by class: Flask prefers the app's handler for a code (admin's error pages)
# over a blueprint's handler for the HTTPException class.
bp.register_error_handler(HTTPException, http_error)
for _code in default_exceptions:
    bp.register_error_handler(_code, http_error)


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@contextmanager
def _field_names(**names: str) -> Iterator[None]:
    """Name a service's fields as the API names them (``progress`` is the body's ``text``)."""
    try:
        yield
    except LIFError as error:
        error.errors = {names.get(key, key): value for key, value in error.errors.items()}
        raise


def _actor():
    return g.api_user


# --- request bodies ----------------------------------------------------------------------------


def _json_body(fields: dict[str, type], required: Iterable[str] = ()) -> dict:
    """Return the JSON object body with only ``fields``, each of its type, ``required`` present.

    Anything else is refused, so a value such as ``{"$ne": null}`` never reaches a service.
    """
    if not request.is_json:
        raise UnsupportedBody("Send JSON (Content-Type: application/json).", field="body")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested past Python's stack: was a 500
        raise InvalidInput("The JSON is nested too deeply.", field="body") from None
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.", field="body")
    errors = {}
    for name in body:
        if name not in fields:
            errors[str(name)[:60]] = f"Unknown field (this request takes: {', '.join(fields)})."
    for name, kind in fields.items():
        if name not in body:
            if name in required:
                errors[name] = "This field is required."
            continue
        value = body[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            errors[name] = "Give a whole number."
        elif kind is str and not isinstance(value, str):
            errors[name] = "Give text."
        elif kind is str and not _encodable(value):
            # JSON may escape half a surrogate pair ("\ud800"): no text, and the database
            # driver cannot encode it (it was a 500).
            errors[name] = "Give text (this is not valid Unicode)."
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return body


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _form_value(name: str) -> str:
    given = request.form.getlist(name)
    if len(given) > 1:
        raise InvalidInput(f"Give '{name}' once.", field=name)
    return given[0] if given else ""


def _checked_files() -> list[tuple]:
    """Read and check every uploaded ``file``; refuse the first that #3's checks refuse."""
    checked = []
    for upload in request.files.getlist("file"):
        if not upload or not upload.filename:
            continue
        data = read_upload(upload, current_app.config["LIF_MAX_UPLOAD_MB"])
        file = check_upload(upload.filename, data)
        checked.append((file.name, file.data, file.media_type, file.text))
    return checked


# --- serialisers: one per type, every field named ----------------------------------------------


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return stamp.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _agency(key: str | None) -> dict | None:
    return {"key": key, "name": reference.agency_name(key)} if key else None


def _choice(key: str | None, choices) -> dict | None:
    return {"key": key, "label": dict(choices).get(key, key)} if key else None


def _links(item, endpoint: str, admin_endpoint: str, **more: str) -> dict:
    return {
        "self": url_for(endpoint, item_id=str(item.pk)),
        "html": url_for(f"{admin_endpoint}.details_view", id=str(item.pk)),
        **more,
    }


def _common(item) -> dict:
    """The fields every content item shares."""
    themes = reference.theme_labels()
    return {
        "id": str(item.pk),
        "type": item.type_key,
        "title": item.title,
        "summary": item.summary,
        "state": item.state,
        "state_title": workflow.state_title(item),
        "framework": frameworks.of(item).name,
        "themes": [{"key": t, "label": themes.get(t, t)} for t in item.themes],
        "agencies": [_agency(a) for a in item.agencies],
        "version": item.version,
        "created_at": _iso(item.created_at),
        "created_by": item.created_by,
        "modified_at": _iso(item.modified_at),
        "modified_by": item.modified_by,
        "effective": _iso(item.effective),
        "expires": _iso(item.expires),
    }


def _history(item) -> list[dict]:
    return [
        {"action": e.action, "from": e.from_state, "to": e.to_state, "actor": e.actor,
         "at": _iso(e.at), "comment": e.comment}
        for e in item.workflow_history
    ]


def _findings(item) -> list[dict]:
    return [
        {"uid": f.uid, "number": f.number, "heading": f.heading, "text": f.text}
        for f in item.findings
    ]


def _plan_source(plan: ActionPlan, source_titles: dict) -> dict:
    if plan.source_kind == "other":
        return {"kind": "other", "id": None, "title": plan.source_other, "link": None}
    source_id = api_queries.reference_id(plan._data.get(plan.source_kind))
    endpoint = {"review": "api_v1.get_review", "audit": "api_v1.get_audit"}[plan.source_kind]
    return {
        "kind": plan.source_kind,
        "id": source_id,
        "title": source_titles.get(source_id, ""),
        "link": url_for(endpoint, item_id=source_id) if source_id else None,
    }


def plans_json(items: list[ActionPlan], *, detail: bool = False) -> list[dict]:
    """Serialise action plans, fetching their sources' titles in one query per type."""
    source_titles = {
        **api_queries.titles(Review, [api_queries.reference_id(p._data.get("review"))
                                      for p in items]),
        **api_queries.titles(Audit, [api_queries.reference_id(p._data.get("audit"))
                                     for p in items]),
    }
    out = []
    for plan in items:
        pid = str(plan.pk)
        entry = {
            **_common(plan),
            "kind": plan.kind,
            "agency": _agency(plan.agency),
            "source": _plan_source(plan, source_titles),
            "owner": plan.owner,
            "ratified_on": _iso(plan.ratified_on),
            "next_pdc_review": _iso(plan.next_pdc_review),
            "closed_on": _iso(plan.closed_on),
            "links": _links(plan, "api_v1.get_plan", "action_plan",
                            actions=url_for("api_v1.list_actions", plan=pid)),
        }
        if detail:
            entry["finding_uids"] = list(plan.finding_uids)
            entry["workflow_history"] = _history(plan)
        out.append(entry)
    return out


def actions_json(items: list[Action], *, detail: bool = False) -> list[dict]:
    """Serialise actions with their RAG, fetching their plans' titles in one query."""
    plan_titles = api_queries.titles(
        ActionPlan, [api_queries.reference_id(a._data.get("plan")) for a in items]
    )
    plans.read_records(items, counts_only=not detail)
    out = []
    for action in items:
        aid = str(action.pk)
        plan_id = api_queries.reference_id(action._data.get("plan"))
        entry = {
            **_common(action),
            "description": action.description,
            "finding": {"uid": action.finding_uid, "text": action.finding_text}
            if action.finding_uid or action.finding_text else None,
            "plan": {"id": plan_id, "title": plan_titles.get(plan_id, ""),
                     "link": url_for("api_v1.get_plan", item_id=plan_id) if plan_id else None},
            "agency": _agency(action.agency),
            "lead": {"name": action.lead_name, "email": action.lead_email},
            "due_date": _iso(action.due_date),
            "status": action.state,
            "rag": plans.rag(action),
            "completed_on": _iso(action.completed_on),
            "cancel_reason": action.cancel_reason,
            "last_pdc_verdict": _choice(action.last_pdc_verdict, PDC_VERDICTS),
            "progress_count": action.progress_count,
            "evidence_count": action.evidence_count,
            "links": _links(
                action, "api_v1.get_action", "action",
                progress=url_for("api_v1.add_progress", item_id=aid),
                evidence=url_for("api_v1.add_evidence", item_id=aid),
            ),
        }
        if detail:
            entry["progress"] = [
                {"at": _iso(p.at), "author": p.author, "text": p.text} for p in action.progress
            ]
            entry["evidence"] = [
                {"uid": e.uid, "at": _iso(e.at), "author": e.author,
                 "description": e.description, "measure": e.measure,
                 "pdc_verdict": _choice(e.pdc_verdict, PDC_VERDICTS),
                 "attachments": [
                     {"id": str(a), "download": url_for("files.download", attachment_id=str(a))}
                     for a in e.attachment_ids
                 ]}
                for e in action.evidence
            ]
            entry["last_pdc_comment"] = action.last_pdc_comment
            entry["workflow_history"] = _history(action)
        out.append(entry)
    return out


def reviews_json(items: list[Review], *, detail: bool = False) -> list[dict]:
    types = reference.review_type_labels()
    out = []
    for review in items:
        entry = {
            **_common(review),
            "review_type": {"key": review.review_type,
                            "label": types.get(review.review_type, review.review_type)},
            "section": review.section,
            "reference": review.reference,
            "date": _iso(review.date),
            "date_label": review.date_label,
            "independent_reviewer": review.independent_reviewer,
            "restricted": bool(review.restricted),
            "findings_count": len(review.findings),
            "links": _links(review, "api_v1.get_review", "review"),
        }
        if detail:
            entry["overview"] = review.overview
            entry["findings"] = _findings(review)
            entry["activities"] = [{"uid": a.uid, "text": a.text} for a in review.activities]
            entry["workflow_history"] = _history(review)
        out.append(entry)
    return out


def audits_json(items: list[Audit], *, detail: bool = False) -> list[dict]:
    out = []
    for audit in items:
        entry = {
            **_common(audit),
            "audit_type": _choice(audit.audit_type, taxonomy.AUDIT_TYPES),
            "section": audit.section,
            "theme": audit.theme,
            "committee": _choice(audit.committee, frameworks.of(audit).vocabulary["committees"]),
            "referred_to": audit.referred_to,
            "start_date": _iso(audit.start_date),
            "due_date": _iso(audit.due_date),
            "date": _iso(audit.date),
            "date_label": audit.date_label,
            "participants": [
                {"agency": _agency(p.agency), "lead_auditor": p.lead_auditor}
                for p in audit.participants
            ],
            "findings_count": len(audit.findings),
            "links": _links(audit, "api_v1.get_audit", "audit"),
        }
        if detail:
            entry.update({
                "scope": audit.scope,
                "question": audit.question,
                "methodology": audit.methodology,
                "sample_description": audit.sample_description,
                "findings": _findings(audit),
                "recommendations": [
                    {"uid": r.uid, "text": r.text, "finding_uid": r.finding_uid}
                    for r in audit.recommendations
                ],
                "activities": [{"uid": a.uid, "text": a.text} for a in audit.activities],
                "workflow_history": _history(audit),
            })
        out.append(entry)
    return out


def _person(person) -> dict:
    return {"name": person.name, "role": person.role,
            "date_of_birth": _iso(person.date_of_birth),
            "date_of_death": _iso(person.date_of_death)}


def _personal(value):
    if value is None:
        return None
    if isinstance(value, list):
        return [_person(p) for p in value]
    return _person(value)


def referrals_json(items: list[Referral], *, detail: bool = False) -> list[dict]:
    """Serialise referrals. Personal fields appear only in one referral's detail, and only
    for those the policy lets see them (``view_personal``); lists never carry them. Every
    text passes the redactor."""
    user = _actor()
    personal = policy.personal_fields(Referral)
    out = []
    for original in items:
        redaction = redact.for_item(user, original)
        referral = redaction.item(original)
        recommended = referrals.recommendation_of(original)
        decided = referrals.decision_of(original)
        entry = {
            **_common(referral),
            "agency": _agency(referral.agency),
            "named_lead": referral.named_lead,
            "referred_by": referral.referred_by,
            "notified_on": _iso(referral.notified_on),
            "completed_on": _iso(referral.completed_on),
            "criteria": [_choice(c, CRITERIA) for c in referral.criteria],
            # What the record says: a recommendation or decision only once its step
            # recorded it (a value stored otherwise is none), and whether by override.
            "recommendation": _choice(recommended.value if recommended else None,
                                      RECOMMENDATIONS),
            "decision": _choice(decided.value if decided else None, DECISIONS),
            "decided_on": _iso(referral.decided_on if decided else None),
            "links": _links(referral, "api_v1.get_referral", "referral"),
        }
        shown = detail and redaction.shows_personal
        if detail:
            entry.update({
                "reasons": referral.reasons,
                "case_summary": referral.case_summary,
                "reviewed_with_lead_on": _iso(referral.reviewed_with_lead_on),
                "reviewed_with": referral.reviewed_with,
                "decline_reason": referral.decline_reason,
                "recommendation_rationale": referral.recommendation_rationale
                if recommended else "",
                "recommendation_override": recommended.override if recommended else "",
                "chair_stance": referral.chair_stance if decided else None,
                "decision_rationale": referral.decision_rationale if decided else "",
                "decision_override": decided.override if decided else "",
                "reviewers": list(referral.reviewers) if decided else [],
                "workflow_history": _history(referral),
            })
        if shown:
            for name in personal:
                entry[name] = _personal(getattr(referral, name))
        entry["redacted"] = [] if shown else list(personal)
        out.append(entry)
    return out


# type key → (URL segment, serialiser)
TYPES = {
    "action_plan": ("plans", plans_json),
    "action": ("actions", actions_json),
    "review": ("reviews", reviews_json),
    "audit": ("audits", audits_json),
    "referral": ("referrals", referrals_json),
}


def _list(type_key: str):
    args = request.args.to_dict(flat=False)
    page = api_queries.list_page(type_key, _actor(), args)
    serialise = TYPES[type_key][1]
    plain = {k: v[0] for k, v in args.items() if k not in ("page", "after", "before")}
    link = request.endpoint
    return jsonify({
        "items": serialise(page.items),
        "page": page.page,
        "per_page": page.per_page,
        # Positions, not page numbers: a deep page costs what the first does.
        "next": url_for(link, **plain, after=page.after) if page.after else None,
        "prev": url_for(link, **plain, before=page.before) if page.before else None,
    })


def _one(type_key: str, item_id: str):
    item = content.get(type_key, item_id, _actor())
    return jsonify(TYPES[type_key][1]([item], detail=True)[0])


# --- routes ------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API (no token needed: it holds no data)."""
    # A relative server address: clients resolve it against where they fetched this from,
    # and no request header (Host) ends up in the document.
    return jsonify(openapi.document(bp.url_prefix))


@bp.get("/me")
def me():
    user = _actor()
    token = next((t for t in user.api_tokens if t.prefix == g.api_token_prefix), None)
    return jsonify({
        "id": str(user.pk),
        "email": user.email,
        "name": user.name,
        "roles": list(user.roles),
        "agency": _agency(user.agency),
        "token": {"prefix": token.prefix, "name": token.name,
                  "created_at": _iso(token.created_at)} if token else None,
    })


SEARCH_PARAMS = {"q", "page", "per_page", "sort", "type", "theme", "agency", "state", "year"}


@bp.get("/search")
def search():
    """Full-text search over what the token's user may see (ranked, with facets)."""
    unknown = sorted(set(request.args) - SEARCH_PARAMS)
    if unknown:
        raise InvalidInput(f"Unknown parameter '{unknown[0]}'.", field=unknown[0])
    for name, given in request.args.lists():
        if len(given) > 1 and name not in ("type", "theme", "agency", "state", "year"):
            raise InvalidInput(f"Give '{name}' once.", field=name)
    page = values.read_page(request.args.get("page"))
    per_page = values.read_per_page(request.args.get("per_page"), 10)
    q = values.read_search(request.args.get("q", ""), "q")
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "date"):
        raise InvalidInput("sort is 'relevance' or 'date'.", field="sort")
    filters = {k: request.args.getlist(k) for k in ("type", "theme", "agency", "state", "year")
               if request.args.getlist(k)}
    try:
        results = searching.search(_actor(), q, page=page,
                                   pagelen=per_page, sort=sort, filters=filters or None)
    except SearchQueryError as error:
        raise InvalidInput(str(error), field="q") from None
    except SearchUnavailable:
        return _error(503, "Search is not available just now: the index needs rebuilding.")
    return jsonify({
        "query": results.query,
        "total": results.total,
        "page": results.page,
        "pages": results.pages,
        "suggestion": results.suggestion,
        "facets": {k: [{"value": v, "count": n} for v, n in counts]
                   for k, counts in results.facets.items()},
        "items": [{"id": h.id, "type": h.type, "title": h.title, "score": h.score,
                   "snippet": h.snippet, "url": h.url, "parent_id": h.parent_id or None,
                   "date": _iso(h.date), "state": h.state} for h in results.hits],
    })


@bp.get("/plans")
def list_plans():
    return _list("action_plan")


@bp.get("/plans/<item_id>")
def get_plan(item_id: str):
    return _one("action_plan", item_id)


@bp.get("/actions")
def list_actions():
    return _list("action")


@bp.get("/actions/<item_id>")
def get_action(item_id: str):
    return _one("action", item_id)


@bp.patch("/actions/<item_id>")
def update_action(item_id: str):
    """Change an action's fields and/or status; ``version`` says what the change is based on."""
    action = content.get("action", item_id, _actor())
    fields = {"version": int, "status": str, "comment": str,
              **{name: str for name in api_queries.EDITABLE_ACTION_FIELDS}}
    body = _json_body(fields, required=("version",))
    changes = {k: body[k] for k in api_queries.EDITABLE_ACTION_FIELDS if k in body}
    action = api_queries.edit_action(
        action, changes, _actor(), base_version=body["version"],
        status=body.get("status"), comment=body.get("comment", ""),
    )
    return jsonify(actions_json([action], detail=True)[0])


@bp.post("/actions/<item_id>/progress")
def add_progress(item_id: str):
    """Add a progress update: ``{"text": …}``."""
    action = content.get("action", item_id, _actor())
    body = _json_body({"text": str}, required=("text",))
    with _field_names(progress="text"):
        action = plans.add_progress(action, body["text"], _actor())
    return jsonify(actions_json([action], detail=True)[0]), 201


@bp.post("/actions/<item_id>/evidence")
def add_evidence(item_id: str):
    """Add evidence of impact, as JSON or as a multipart form with ``file`` parts."""
    action = content.get("action", item_id, _actor())
    policy.require(_actor(), "edit", action)  # before reading an upload the service refuses
    if request.mimetype == "multipart/form-data":
        unknown = sorted(set(request.form) - {"description", "measure"})
        unknown += sorted(set(request.files) - {"file"})
        if unknown:
            raise InvalidInput(f"Unknown field '{unknown[0][:60]}'.",
                               errors={name[:60]: "Unknown field." for name in unknown})
        description, measure = _form_value("description"), _form_value("measure")
        if not description.strip():
            raise InvalidInput("Say what changed for practice or for children.",
                               field="description")
        files = _checked_files()
    else:
        body = _json_body({"description": str, "measure": str}, required=("description",))
        description, measure, files = body["description"], body.get("measure", ""), []
    with _field_names(evidence="description"):
        action = plans.add_evidence(action, description, measure, _actor(), files=files)
    return jsonify(actions_json([action], detail=True)[0]), 201


@bp.get("/reviews")
def list_reviews():
    return _list("review")


@bp.get("/reviews/<item_id>")
def get_review(item_id: str):
    return _one("review", item_id)


@bp.get("/audits")
def list_audits():
    return _list("audit")


@bp.get("/audits/<item_id>")
def get_audit(item_id: str):
    return _one("audit", item_id)


@bp.get("/referrals")
def list_referrals():
    return _list("referral")


@bp.get("/referrals/<item_id>")
def get_referral(item_id: str):
    return _one("referral", item_id)
