"""The OpenAPI 3.1 description of the JSON API, served at ``/api/v1/openapi.json``.

Built from the same data the API runs on (the list filters of
:mod:`lif.services.api_queries`, the workflows' states, the choices of the models), so a
filter or a state added there appears here. It is served without a token: it describes the
interface and holds no data, and tools fetch it before anyone has a token.
"""

from __future__ import annotations

from config import taxonomy
from lif import policy, values, workflow
from lif.models import Referral
from lif.models.action_plan import ACTION_STATUSES, PLAN_KINDS, SOURCE_KINDS
from lif.services import api_queries

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _keys(pairs) -> list[str]:
    return [key for key, _ in pairs]


def _states(type_key: str) -> list[str]:
    return list(workflow.states_of_type(type_key))


# What each list filter means; its schema comes from FILTER_SCHEMAS or is a plain string.
FILTER_DOCS = {
    "kind": "Plan kind.",
    "agency": "Agency key (as in `agency.key` of items; a wrong key's error lists them). Plans: "
              "single-agency "
              "plans of the agency and plans listing it; reviews and audits: those listing it; "
              "referrals: those from or involving it.",
    "state": "Workflow state.",
    "status": "Same as `state` (an action's status is its workflow state).",
    "source": "What the plan answers.",
    "plan": "Id of the plan the actions belong to.",
    "rag": "RAG rating: red (overdue, or challenged at the last PDC review), amber (due within "
           "30 days and not done), green otherwise.",
    "overdue": "1: only actions past their due date and not done; 0: only the others.",
    "due_before": "Only actions due strictly before this date.",
    "due_after": "Only actions due strictly after this date.",
    "q": "Words looked up in the search index, as on the search page (stemmed, all required; "
         "at most 200 characters); the items come in order of relevance.",
    "review_type": "Review type (Table 1 of the framework).",
    "audit_type": "Audit type.",
}


def _filter_schema(type_key: str, name: str) -> dict:
    schemas = {
        "kind": {"type": "string", "enum": _keys(PLAN_KINDS)},
        "state": {"type": "string", "enum": _states(type_key)},
        "status": {"type": "string", "enum": _states(type_key)},
        "source": {"type": "string", "enum": _keys(SOURCE_KINDS)},
        "plan": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
        "rag": {"type": "string", "enum": ["red", "amber", "green"]},
        "overdue": {"type": "string", "enum": ["1", "0", "true", "false"]},
        "due_before": {"type": "string", "format": "date"},
        "due_after": {"type": "string", "format": "date"},
        "q": {"type": "string", "maxLength": 200},
        "review_type": {"type": "string", "enum": [t["key"] for t in taxonomy.REVIEW_TYPES]},
        "audit_type": {"type": "string", "enum": _keys(taxonomy.AUDIT_TYPES)},
    }
    return schemas.get(name, {"type": "string", "maxLength": 200})


def _list_parameters(type_key: str) -> list[dict]:
    params = [
        {"name": name, "in": "query", "required": False, "description": FILTER_DOCS[name],
         "schema": _filter_schema(type_key, name)}
        for name in api_queries.filter_names(type_key)
    ]
    params += [
        {"name": "after", "in": "query", "required": False,
         "description": "Where the page starts: the position a `next` link carries (every "
                        "page then costs what the first does).",
         "schema": {"type": "string", "maxLength": 200}},
        {"name": "before", "in": "query", "required": False,
         "description": "Where the page ends: the position a `prev` link carries.",
         "schema": {"type": "string", "maxLength": 200}},
        {"name": "page", "in": "query", "required": False,
         "description": "Page number, from 1 (counted from the start: `next` links are "
                        "cheaper for deep pages).",
         "schema": {"type": "integer", "minimum": 1, "maximum": values.MAX_PAGE,
                    "default": 1}},
        {"name": "per_page", "in": "query", "required": False,
         "description": f"Items per page (at most {api_queries.MAX_PER_PAGE}).",
         "schema": {"type": "integer", "minimum": 1, "maximum": api_queries.MAX_PER_PAGE,
                    "default": api_queries.PER_PAGE}},
    ]
    return params


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


COMMON_ERRORS = {
    "401": {**_error("No token, or an invalid or revoked one."),
            "headers": {"WWW-Authenticate": {"schema": STRING,
                                             "description": 'Bearer realm="LIF API"'}}},
}
ITEM_ERRORS = {
    **COMMON_ERRORS,
    "403": _error("You may not see this item."),
    "404": _error("No item with this id."),
}
LIST_ERRORS = {
    **COMMON_ERRORS,
    "400": _error("An unknown parameter or a value it cannot take; `fields` names it."),
    "403": _error("You may see no item of this type."),
}
ID_PARAMETER = {"name": "item_id", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": "^[0-9a-f]{24}$"}}

# URL segment, type key, schema name, summary noun.
READ_TYPES = (
    ("plans", "action_plan", "Plan", "action plans"),
    ("actions", "action", "Action", "actions"),
    ("reviews", "review", "Review", "reviews"),
    ("audits", "audit", "Audit", "audits"),
    ("referrals", "referral", "Referral", "referrals"),
)


def _schemas() -> dict:
    agency = {"type": ["object", "null"],
              "properties": {"key": STRING, "name": STRING}}
    choice = {"type": ["object", "null"], "properties": {"key": STRING, "label": STRING}}
    links = {"type": "object", "properties": {"self": STRING, "html": STRING},
             "additionalProperties": {"type": ["string", "null"]}}
    history = {"type": "array", "items": {"type": "object", "properties": {
        "action": STRING, "from": STRING, "to": STRING, "actor": STRING,
        "at": DATETIME, "comment": STRING}}}
    findings = {"type": "array", "items": {"type": "object", "properties": {
        "uid": STRING, "number": {"type": ["integer", "null"]}, "heading": STRING,
        "text": STRING}}}
    content = {
        "id": STRING, "type": STRING, "title": STRING, "summary": STRING, "state": STRING,
        "state_title": STRING, "themes": {"type": "array", "items": choice},
        "framework": {"type": "string", "description": "The statutory framework the item was "
                      "made under (its workflow and clocks are that framework's)."},
        "agencies": {"type": "array", "items": agency}, "version": {"type": "integer"},
        "created_at": DATETIME, "created_by": STRING, "modified_at": DATETIME,
        "modified_by": STRING, "effective": DATE, "expires": DATE, "links": links,
        "workflow_history": {**history, "description": "Detail only."},
    }
    person = {"type": "object", "properties": {
        "name": STRING, "role": STRING, "date_of_birth": DATE, "date_of_death": DATE}}

    def item(properties: dict, description: str) -> dict:
        return {"type": "object", "description": description,
                "properties": {**content, **properties}}

    def page(name: str) -> dict:
        return {"type": "object", "required": ["items", "page", "per_page", "next", "prev"],
                "properties": {
                    "items": {"type": "array", "items": _ref(name)},
                    "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "next": {**NULLABLE_STRING,
                             "description": "Address of the next page; null on the last."},
                    "prev": NULLABLE_STRING}}

    schemas = {
        "Error": {"type": "object", "required": ["error", "status", "fields"], "properties": {
            "error": STRING, "status": {"type": "integer"},
            "fields": {"type": "object", "additionalProperties": STRING,
                       "description": "Field or parameter name → what is wrong with it."},
            "current": {"type": "object", "description": "409 edit conflicts: the item now.",
                        "properties": {"version": {"type": "integer"},
                                       "modified_by": STRING, "modified_at": DATETIME}}}},
        "Me": {"type": "object", "properties": {
            "id": STRING, "email": STRING, "name": STRING,
            "roles": {"type": "array", "items": STRING}, "agency": agency,
            "token": {"type": ["object", "null"], "properties": {
                "prefix": STRING, "name": STRING, "created_at": DATETIME}}}},
        "Plan": item({
            "kind": {"type": "string", "enum": _keys(PLAN_KINDS)}, "agency": agency,
            "source": {"type": "object", "properties": {
                "kind": {"type": "string", "enum": _keys(SOURCE_KINDS)}, "id": NULLABLE_STRING,
                "title": STRING, "link": NULLABLE_STRING}},
            "owner": STRING, "ratified_on": DATE, "next_pdc_review": DATE, "closed_on": DATE,
            "finding_uids": {"type": "array", "items": STRING, "description": "Detail only."},
        }, "An action plan (multi-agency, or single-agency with its agency)."),
        "Action": item({
            "description": STRING,
            "finding": {"type": ["object", "null"],
                        "properties": {"uid": STRING, "text": STRING}},
            "plan": {"type": "object", "properties": {
                "id": STRING, "title": STRING, "link": STRING}},
            "agency": agency,
            "lead": {"type": "object", "properties": {"name": STRING, "email": STRING}},
            "due_date": DATE,
            "status": {"type": "string", "enum": _keys(ACTION_STATUSES)},
            "rag": {"type": "string", "enum": ["red", "amber", "green"]},
            "completed_on": DATE, "cancel_reason": STRING, "last_pdc_verdict": choice,
            "progress_count": {"type": "integer"}, "evidence_count": {"type": "integer"},
            "progress": {"type": "array", "description": "Detail only.", "items": {
                "type": "object", "properties": {"at": DATETIME, "author": STRING,
                                                 "text": STRING}}},
            "evidence": {"type": "array", "description": "Detail only.", "items": {
                "type": "object", "properties": {
                    "uid": STRING, "at": DATETIME, "author": STRING, "description": STRING,
                    "measure": STRING, "pdc_verdict": choice,
                    "attachments": {"type": "array", "items": {"type": "object", "properties": {
                        "id": STRING,
                        "download": {"type": "string",
                                     "description": "Download in a signed-in browser."}}}}}}},
            "last_pdc_comment": STRING,
        }, "One L&I action: named lead, timescale, status, RAG, progress, evidence of impact."),
        "Review": item({
            "review_type": choice, "section": STRING, "reference": STRING, "date": DATE,
            "date_label": STRING, "independent_reviewer": STRING,
            "restricted": {"type": "boolean"}, "findings_count": {"type": "integer"},
            "overview": STRING, "findings": findings,
            "activities": {"type": "array", "items": {"type": "object"}},
        }, "A review (Table 1): SCR, child death review, thematic review, …"),
        "Audit": item({
            "audit_type": choice, "section": STRING, "theme": STRING, "committee": choice,
            "referred_to": STRING, "start_date": DATE, "due_date": DATE, "date": DATE,
            "date_label": STRING,
            "participants": {"type": "array", "items": {"type": "object", "properties": {
                "agency": agency, "lead_auditor": STRING}}},
            "findings_count": {"type": "integer"}, "scope": STRING, "question": STRING,
            "methodology": STRING, "sample_description": STRING, "findings": findings,
            "recommendations": {"type": "array", "items": {"type": "object"}},
            "activities": {"type": "array", "items": {"type": "object"}},
        }, "An audit run by the Quality and Audit Evidence Committee."),
        "Referral": item({
            "agency": agency, "named_lead": STRING, "referred_by": STRING,
            "notified_on": DATE, "completed_on": DATE,
            "criteria": {"type": "array", "items": choice}, "recommendation": choice,
            "decision": choice, "decided_on": DATE, "reasons": STRING, "case_summary": STRING,
            "reviewed_with_lead_on": DATE, "reviewed_with": STRING, "decline_reason": STRING,
            "recommendation_rationale": STRING, "chair_stance": NULLABLE_STRING,
            "decision_rationale": STRING, "reviewers": {"type": "array", "items": STRING},
            "recommendation_override": {
                **STRING, "description": "Who recorded it in the CIEC's place, and why "
                                        "(empty unless an override)."},
            "decision_override": {
                **STRING, "description": "Who recorded it in the Independent Chair's place, "
                                        "and why (empty unless an override)."},
            "child": {**person, "type": ["object", "null"],
                      "description": "Personal: detail only, for those allowed."},
            "significant_people": {"type": "array", "items": person,
                                   "description": "Personal: detail only, for those allowed."},
            "redacted": {"type": "array", "items": {"type": "string",
                                                    "enum": list(policy.personal_fields(Referral))},
                         "description": "Personal fields left out of this answer."},
        }, "A referral (CIGSCR1). Children's and families' details are shown only in one "
           "referral's detail, to the Independent Chair, administrators and CIEC members of "
           "an agency involved."),
        "ProgressBody": {"type": "object", "required": ["text"],
                         "additionalProperties": False,
                         "properties": {"text": {"type": "string", "minLength": 1,
                                                 "maxLength": 10000}}},
        "EvidenceBody": {"type": "object", "required": ["description"],
                         "additionalProperties": False, "properties": {
                             "description": {"type": "string", "minLength": 1,
                                             "description": "What changed for practice or "
                                                            "for children."},
                             "measure": {"type": "string",
                                         "description": "How it was measured."}}},
        "EvidenceForm": {"type": "object", "required": ["description"], "properties": {
            "description": STRING, "measure": STRING,
            "file": {"type": "array", "items": {"type": "string",
                                                "contentMediaType": "application/octet-stream"},
                     "description": "Files checked as any upload (.docx, .pdf, .xlsx, .csv, "
                                    "images; size limit; hostile Word files refused)."}}},
        "ActionPatch": {"type": "object", "required": ["version"],
                        "additionalProperties": False, "properties": {
                            "version": {"type": "integer",
                                        "description": "The version the change is based on."},
                            "status": {"type": "string", "enum": _keys(ACTION_STATUSES)},
                            "comment": {"type": "string",
                                        "description": "Comment of the status change (required "
                                                       "to cancel or reopen); change note."},
                            "title": STRING, "description": STRING, "lead_name": STRING,
                            "lead_email": {"type": "string", "format": "email"},
                            "agency": {"type": "string", "description": "Agency key."},
                            "due_date": {"type": "string", "format": "date"}}},
    }
    for _segment, _key, name, _noun in READ_TYPES:
        schemas[f"{name}Page"] = page(name)
    return schemas


def _paths() -> dict:
    paths: dict = {
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This description (no token needed).",
            "security": [], "tags": ["meta"],
            "responses": {"200": _json({"type": "object"})}}},
        "/me": {"get": {
            "operationId": "me", "summary": "The account of the token.", "tags": ["meta"],
            "responses": {"200": _json(_ref("Me")), **COMMON_ERRORS}}},
        "/search": {"get": {
            "operationId": "search", "tags": ["search"],
            "summary": "Full-text search over what you may see: ranked, highlighted, faceted.",
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"},
                 "description": "Words, \"phrases\", type: theme: agency: state: year: fields"},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                {"name": "sort", "in": "query",
                 "schema": {"type": "string", "enum": ["relevance", "date"]}},
                *[{"name": facet, "in": "query", "schema": {"type": "string"},
                   "description": f"Only results with this {facet} (repeatable)."}
                  for facet in ("type", "theme", "agency", "state", "year")],
            ],
            "responses": {"200": _json({"type": "object", "properties": {
                "total": {"type": "integer"}, "page": {"type": "integer"},
                "pages": {"type": "integer"}, "suggestion": {"type": ["string", "null"]},
                "facets": {"type": "object"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "type": {"type": "string"},
                    "title": {"type": "string"}, "score": {"type": ["number", "null"]},
                    "snippet": {"type": "string"}, "url": {"type": "string"}}}}}}),
                **COMMON_ERRORS}}},
    }
    for segment, type_key, name, noun in READ_TYPES:
        paths[f"/{segment}"] = {"get": {
            "operationId": f"list_{segment}", "tags": [segment],
            "summary": f"List the {noun} you may see, filtered, a page at a time.",
            "description": "No total count is given: `next` is null on the last page.",
            "parameters": _list_parameters(type_key),
            "responses": {"200": _json(_ref(f"{name}Page")), **LIST_ERRORS}}}
        paths[f"/{segment}/{{item_id}}"] = {
            "parameters": [ID_PARAMETER],
            "get": {"operationId": f"get_{type_key}", "tags": [segment],
                    "summary": f"One of the {noun}, with its detail.",
                    "responses": {"200": _json(_ref(name)), **ITEM_ERRORS}}}
    write_errors = {
        **ITEM_ERRORS,
        "400": _error("A missing or wrong field; `fields` names it. Nothing is stored."),
        "403": _error("You may not see or change this action."),
        "415": _error("The body is not JSON (or, for evidence, a multipart form)."),
    }
    paths["/actions/{item_id}"]["patch"] = {
        "operationId": "update_action", "tags": ["actions"],
        "summary": "Change an action's fields and/or status.",
        "description": "All checks run before anything is written; a refused request stores "
                       "nothing. The status change goes through the action workflow.",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _ref("ActionPatch")}}},
        "responses": {
            "200": _json(_ref("Action"), "The action after the change."),
            **write_errors,
            "403": _error("You may not change the action, or not to this status."),
            "409": _error("`version` is stale (the message says who changed the action and "
                          "when), or the workflow's guard refuses the status."),
        }}
    paths["/actions/{item_id}/progress"] = {
        "parameters": [ID_PARAMETER],
        "post": {"operationId": "add_progress", "tags": ["actions"],
                 "summary": "Add a dated progress update.",
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": _ref("ProgressBody")}}},
                 "responses": {"201": _json(_ref("Action"), "The action with the update."),
                               **write_errors}}}
    paths["/actions/{item_id}/evidence"] = {
        "parameters": [ID_PARAMETER],
        "post": {"operationId": "add_evidence", "tags": ["actions"],
                 "summary": "Add evidence of impact, optionally with files.",
                 "requestBody": {"required": True, "content": {
                     "application/json": {"schema": _ref("EvidenceBody")},
                     "multipart/form-data": {"schema": _ref("EvidenceForm")}}},
                 "responses": {"201": _json(_ref("Action"), "The action with the evidence."),
                               **write_errors,
                               "413": _error("The upload is larger than the limit.")}}}
    return paths


def document(server_url: str = "/api/v1") -> dict:
    """Return the OpenAPI 3.1 document, with ``server_url`` as the base of every path."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "LIF API",
            "version": "1",
            "description": "The Learning and Improvement Framework manager's JSON API. "
                           "Get a token with `flask --app app lif create-token EMAIL` and "
                           "send it as `Authorization: Bearer <token>`; the same permission "
                           "rules as the web pages apply. Errors are "
                           "`{\"error\", \"status\", \"fields\"}`.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "lif_<prefix>_<secret>",
                "description": "flask --app app lif create-token EMAIL; revoke with "
                               "flask --app app lif revoke-token EMAIL PREFIX."}},
            "schemas": _schemas(),
        },
    }
