"""Keep the search index current and search it as a user: the glue between models and
``lif.search`` (which knows Whoosh, and nothing of models or permissions).

Who may see a document is written into it as *principals* computed by the policy
(:func:`lif.policy.item_principals`): ``role:R`` for a role that sees the item unscoped,
``role:R@AGENCY`` for an agency-scoped role, ``role:R=EMAIL`` for one's own items, so the
permission filter runs inside the search (totals and facets never count what the user may not
see). The index is shared by everyone, so what it holds of an item passes the redactor as for
someone without the right to personal data: no child's or family's details, and their names
and dates removed from every text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bson import ObjectId

from .. import clock, db, events, list_pages, policy, redact
from ..db import database
from ..models import CONTENT_TYPES, Attachment, InformationRequest, Referral
from ..models.base import Content
from ..search import SearchIndex, SearchQueryError, SearchResults, SearchUnavailable
from . import reference

log = logging.getLogger(__name__)
_index: SearchIndex | None = None
_problem: str | None = None


def configure(path: Path) -> SearchIndex:
    """Open (or create) the index at ``path`` for this process and follow content changes."""
    global _index
    _index = SearchIndex(str(path))
    status = _index.open()
    if status != "ok":
        _mark_problem(f"The search index is {status}; run `flask --app app lif reindex`.")
    events.content_changed.connect(_on_changed)
    events.contents_created.connect(_on_created)
    events.content_removed.connect(_on_removed)
    events.attachment_changed.connect(_on_attachment)
    events.attachment_removed.connect(_on_attachment_removed)
    events.record_added.connect(_on_record_added)
    return _index


def index() -> SearchIndex:
    if _index is None:
        raise SearchUnavailable("missing")
    return _index


def problem() -> str | None:
    """A sentence for the search page when the index is degraded, else ``None``."""
    if _index is not None and _problem is None:
        status = _index.status()
        if status != "ok":
            return f"The search index is {status}; run `flask --app app lif reindex`."
    return _problem


def _mark_problem(message: str | None) -> None:
    global _problem
    _problem = message
    if message:
        log.warning(message)


# --- principals ------------------------------------------------------------------------------

user_principals = policy.user_principals
item_principals = policy.item_principals


# --- flattening ------------------------------------------------------------------------------


def _url(item: Content) -> str:
    return f"/admin/{item.type_key}/details/?id={item.pk}"


def _lines(values) -> str:
    return "\n".join(str(v) for v in values if v)


def item_document(original: Content) -> dict:
    """One index document for a content item: its own text, never personal details."""
    item = redact.for_anyone(original).item(original)
    findings = getattr(item, "findings", None) or []
    body_parts = []
    for field in ("overview", "methodology", "scope", "question", "sample_description",
                  "description", "finding_text", "minutes", "reasons", "case_summary",
                  "response", "key_practitioners", "recommendation_rationale",
                  "decision_rationale", "source_other", "reference"):
        value = getattr(item, field, None)
        if isinstance(value, str) and value:
            body_parts.append(value)
    for name in ("activities", "recommendations"):
        body_parts += [a.text for a in getattr(item, name, None) or []]
    date = (getattr(item, "date", None) or getattr(item, "due_date", None)
            or getattr(item, "scheduled_for", None) or getattr(item, "notified_on", None)
            or (item.created_at.date() if item.created_at else None))
    agencies = set(item.agencies or [])
    if getattr(item, "agency", None):
        agencies.add(item.agency)
    type_label = item.type_label
    if getattr(item, "review_type", None):
        type_label = reference.review_type_labels().get(item.review_type, type_label)
    return {
        "id": str(item.pk),
        "type": item.type_key,
        "title": item.title,
        "summary": item.summary or "",
        "findings": _lines(f.text for f in findings),
        "body": _lines([type_label, *body_parts]),
        "attachments": "",
        "themes": list(item.themes or []),
        "agencies": sorted(agencies),
        "state": item.state,
        "date": date,
        "url": _url(item),
        "parent_id": "",
        "principals": item_principals(original),
    }


def attachment_document(attachment: Attachment, parent: Content) -> dict:
    shown = redact.for_anyone(parent)
    return {
        "id": f"file:{attachment.pk}",
        "type": "attachment",
        "title": shown(attachment.name),
        "summary": f"{parent.type_label}: {shown(parent.title)}",
        "findings": "",
        "body": "",
        "attachments": shown(attachment.text or ""),
        "themes": list(parent.themes or []),
        "agencies": sorted(set(parent.agencies or [])),
        "state": parent.state,
        "date": attachment.uploaded_at,
        "url": f"/admin/file/{attachment.pk}",
        "parent_id": str(parent.pk),
        "principals": item_principals(parent) if not attachment.trashed else [],
    }


# The records appended to items (lif.models.base.Content.appended), by the label that starts
# their index documents' ids ("progress:<id>").
RECORD_TYPES = {record.label: record for model in CONTENT_TYPES.values()
                for record in model.appended}


def record_document(record, parent: Content) -> dict:
    """One index document for a record appended to ``parent`` (a progress update, evidence):
    its own, so that adding one indexes what was added, not every record before it."""
    shown = redact.for_anyone(parent)
    text = _lines(getattr(record, name, "") for name in ("text", "description", "measure"))
    return {
        "id": f"{record.label}:{record.pk}",
        "type": record.label,
        "title": shown(parent.title),
        "summary": f"{parent.type_label}: {shown(parent.title)}",
        "findings": "",
        "body": shown(text),
        "attachments": "",
        "themes": list(parent.themes or []),
        "agencies": sorted(set(parent.agencies or []) | (
            {parent.agency} if getattr(parent, "agency", None) else set())),
        "state": parent.state,
        "date": record.at,
        "url": _url(parent),
        "parent_id": str(parent.pk),
        "principals": item_principals(parent),
    }


def record_ids(item: Content) -> list[str]:
    """The index ids of the records appended to ``item``."""
    return [f"{model.label}:{pk}" for model in item.appended
            for pk in model.objects(**{model.owner_field: item.pk}).scalar("id")]


def documents_for(item: Content, files: list[Attachment] | None = None) -> list[dict]:
    """The index documents of ``item``, its attachments (``files``, when already read) and
    the records appended to it."""
    if files is None:
        files = list(Attachment.objects(item_type=item.type_key, item_id=str(item.pk)))
    return [item_document(item), *(attachment_document(a, item) for a in files),
            *(record_document(r, item) for model in item.appended
              for r in model.objects(**{model.owner_field: item.pk}).no_cache())]


def all_documents() -> Iterator[dict]:
    """Every document of the database, streamed (memory does not grow with the count)."""
    for model in CONTENT_TYPES.values():
        batch: list[Content] = []
        for item in model.objects(trashed=False).no_cache().batch_size(200):
            yield item_document(item)
            if model.appended:
                batch.append(item)
            if len(batch) == 200:
                yield from _records_of(batch)
                batch = []
        yield from _records_of(batch)
    for attachment in Attachment.objects(trashed=False).no_cache().batch_size(100):
        model = CONTENT_TYPES.get(attachment.item_type)
        parent = model.objects(pk=attachment.item_id).first() if model else None
        if parent is not None and not parent.trashed:
            yield attachment_document(attachment, parent)


def _records_of(items: list[Content]) -> Iterator[dict]:
    """The index documents of the records appended to ``items`` (one query per kind)."""
    if not items:
        return
    by_id = {item.pk: item for item in items}
    for model in items[0].appended:
        for record in model.objects(**{f"{model.owner_field}__in": list(by_id)}).no_cache():
            yield record_document(record, by_id[getattr(record, model.owner_field)])


def count_documents() -> int:
    return (sum(m.objects(trashed=False).count() for m in CONTENT_TYPES.values())
            + Attachment.objects(trashed=False).count()
            + sum(record.objects.count() for record in RECORD_TYPES.values()))


# --- following changes ------------------------------------------------------------------------
# Saves do not write the index themselves: each one appends the changed item to a queue kept
# in the database (one small insert), and the queue is drained into the index in batches — by
# a background thread in each process, and before every search. So a save never waits for
# Whoosh (a commit costs 50-100 ms), a crash loses nothing (the queue is durable and any
# process drains it), several workers never write at once (the index's file lock), and a
# search always sees every save made before it, from whatever process.

QUEUE = "index_queue"
_kick = threading.Event()
_drain_lock = threading.Lock()
_thread: threading.Thread | None = None


def _queue():
    return database()[QUEUE]


def _wake() -> None:
    """Wake the drain: now, or (inside a transaction, whose queue entries nobody sees before
    it commits) once it has ended."""
    if db.in_transaction():
        db.after_transaction(lambda committed: _kick.set())
    else:
        _kick.set()


def _enqueue(ref: str = "", delete: list[str] | None = None) -> None:
    _queue().insert_one({"ref": ref, "delete": delete or [], "at": clock.now()})
    _wake()


def _on_changed(item, **_kwargs) -> None:
    if isinstance(item, Content):
        _enqueue(item.ref)


def _on_created(items, **_kwargs) -> None:
    # One queue entry for the lot (a bulk load announces a hundred at a time).
    _queue().insert_one({"ref": "", "refs": [item.ref for item in items], "delete": [],
                         "at": clock.now()})
    _wake()


def _on_removed(item, **_kwargs) -> None:
    ids = [str(item.pk)] + [f"file:{a.pk}" for a in Attachment.objects(
        item_type=item.type_key, item_id=str(item.pk)).only("id")] + record_ids(item)
    _enqueue(delete=ids)


def _on_record_added(record, **_kwargs) -> None:
    _enqueue(f"{record.label}:{record.pk}")


def _on_attachment(attachment, **_kwargs) -> None:
    _enqueue(f"{attachment.item_type}:{attachment.item_id}")


def _on_attachment_removed(attachment, **_kwargs) -> None:
    _enqueue(delete=[f"file:{attachment.pk}"])


def _load_all(refs: list[str]) -> list[Content]:
    """The items of ``refs`` (``type_key:id``) still in the database: one query per type."""
    ids: dict[str, list[str]] = {}
    for ref in refs:
        type_key, _, item_id = ref.partition(":")
        if type_key in CONTENT_TYPES and ObjectId.is_valid(item_id):
            ids.setdefault(type_key, []).append(item_id)  # a malformed entry is skipped
    items: list[Content] = []
    for type_key, some in ids.items():
        items += CONTENT_TYPES[type_key].objects(pk__in=some)
    return items


def _record_documents(refs: list[str]) -> list[dict]:
    """The index documents of the appended records among ``refs`` (``label:id``) still in
    the database, whose item is not in the trash."""
    docs = []
    for label, model in RECORD_TYPES.items():
        ids = [ref.partition(":")[2] for ref in refs if ref.partition(":")[0] == label]
        ids = [pk for pk in ids if ObjectId.is_valid(pk)]
        if not ids:
            continue
        records = list(model.objects(pk__in=ids))
        owners = {getattr(r, model.owner_field) for r in records}
        parents = {item.pk: item for parent_model in CONTENT_TYPES.values()
                   if model in parent_model.appended
                   for item in parent_model.objects(pk__in=list(owners), trashed=False)}
        docs += [record_document(r, parents[getattr(r, model.owner_field)]) for r in records
                 if getattr(r, model.owner_field) in parents]
    return docs


def _attachments_of(items: list[Content]) -> dict[tuple[str, str], list[Attachment]]:
    """The attachments of ``items``, by ``(type_key, id)``: one query per type."""
    found: dict[tuple[str, str], list[Attachment]] = {}
    by_type: dict[str, list[str]] = {}
    for item in items:
        by_type.setdefault(item.type_key, []).append(str(item.pk))
    for type_key, ids in by_type.items():
        for attachment in Attachment.objects(item_type=type_key, item_id__in=ids):
            found.setdefault((type_key, attachment.item_id), []).append(attachment)
    return found


def drain(limit: int = 500) -> int:
    """Apply queued changes to the index; return how many queue entries were applied.

    An index failure never fails a save: the entries stay queued, the search page says the
    index is degraded, and ``reindex`` (or the next successful drain) repairs it.
    """
    if _index is None:
        return 0
    applied = 0
    with _drain_lock:
        while True:
            entries = list(_queue().find().sort("_id", 1).limit(limit))
            if not entries:
                return applied
            docs: dict[str, dict] = {}
            deletes: set[str] = set()
            refs = [ref for e in entries for ref in [e["ref"], *e.get("refs", ())] if ref]
            items = _load_all(list(dict.fromkeys(refs)))  # purged ones are gone: their ids
            attached = _attachments_of(items)              # were queued for deletion
            for doc in _record_documents(refs):
                docs[doc["id"]] = doc
            for item in items:
                files = attached.get((item.type_key, str(item.pk)), [])
                if item.trashed:
                    deletes.add(str(item.pk))
                    deletes.update(f"file:{a.pk}" for a in files)
                    deletes.update(record_ids(item))
                    continue
                for doc in documents_for(item, files):
                    docs[doc["id"]] = doc
                if isinstance(item, Referral):  # its requests follow who may see it
                    for request in InformationRequest.objects(referral=item):
                        for doc in documents_for(request):
                            docs[doc["id"]] = doc
            for entry in entries:
                deletes.update(entry.get("delete") or [])
            deletes -= set(docs)
            try:
                if docs:
                    index().update(docs.values())
                if deletes:
                    index().delete(sorted(deletes))
            except (SearchUnavailable, OSError, ValueError) as error:
                _mark_problem(f"The search index could not be updated ({error}); run "
                              "`flask --app app lif reindex`.")
                return applied
            _queue().delete_many({"_id": {"$in": [e["_id"] for e in entries]}})
            applied += len(entries)
            if _problem and "could not be updated" in _problem:
                _mark_problem(None)


def pending() -> int:
    return _queue().count_documents({})


def _drain_forever() -> None:
    while True:
        _kick.wait(timeout=5)
        _kick.clear()
        try:
            drain()
        except Exception:  # noqa: BLE001 - a database hiccup: try again on the next kick
            log.exception("Draining the search queue failed")


def start_background_drain() -> None:
    """Drain the queue in a daemon thread of this process (web workers, the scheduler)."""
    global _thread
    if _thread is None or not _thread.is_alive():
        _thread = threading.Thread(target=_drain_forever, name="lif-index", daemon=True)
        _thread.start()


def reindex(progress=None, procs: int | None = None) -> int:
    """Rebuild the whole index from the database; searches use the old one until it is done.

    Changes queued meanwhile are applied after (applying one twice does no harm).

    :param procs: processes to build with (see :meth:`lif.search.SearchIndex.rebuild`).
    """
    count = index().rebuild(all_documents(), progress=progress, procs=procs)
    _mark_problem(None)
    drain()
    return count


# --- searching -------------------------------------------------------------------------------


def search(user, q: str, *, page: int = 1, pagelen: int = 10, sort: str = "relevance",
           filters: dict | None = None) -> SearchResults:
    """Search as ``user``: only what they may see is matched, counted and faceted.

    :raises SearchQueryError: the query cannot be understood (the message says why).
    :raises SearchUnavailable: the index is missing or corrupt.
    """
    principals = user_principals(user)
    if not principals:
        raise SearchQueryError("Sign in to search.")
    drain()
    return index().search(q, principals, page=page, pagelen=pagelen, sort=sort,
                          filters=filters, facets=True)


#: Facet filters of the index that a list's own filters on these fields imply: an index
#: document's ``agency`` holds the item's agency and agencies, its ``state`` the state. They
#: narrow the search; the list's query still decides each row.
LIST_FILTER_FACETS = {"agency": "agency", "state": "state"}


@dataclass
class ListMatches:
    """One page of a list's search: its items (relevance order) and where it lies."""

    items: list
    total: int  # matches in the index (the list's other filters may leave fewer)
    first_rank: int | None  # rank (from 0) of the first item shown
    last_rank: int | None
    more_after: bool
    more_before: bool


def _facets_implied(query: Mapping) -> dict[str, list[str]]:
    """Index facet filters a list's query implies (a superset of its rows)."""
    implied = {}
    for field, facet in LIST_FILTER_FACETS.items():
        value = query.get(field)
        if isinstance(value, str) and value:
            implied[facet] = [value]
        elif isinstance(value, Mapping) and set(value) == {"$in"} and all(
                isinstance(v, str) and v for v in value["$in"]):
            implied[facet] = list(value["$in"])
    return implied


def list_matches(user, model: type[Content], q: str, query: Mapping, *, limit: int,
                 after: int | None = None, before: int | None = None) -> ListMatches:
    """The items of ``model`` a list's search box finds: the words looked up in the search
    index (with the user's permissions, as on the search page), in order of relevance,
    each checked against the list's ``query`` (its permission filter and filters) in the
    database. A page is addressed by the rank of the item it follows (``after``) or
    precedes (``before``), so a deep page costs what the first does.

    :raises SearchQueryError: the words cannot be understood (the message says why).
    :raises SearchUnavailable: the index is missing or corrupt.
    """
    principals = user_principals(user)
    if not principals:
        raise SearchQueryError("Sign in to search.")
    drain()
    facets = {"type": [model.type_key], **_facets_implied(query)}
    backward = before is not None
    rank = (before - 1) if backward else (after + 1 if after is not None else 0)
    chunk = max(2 * limit, 20)
    found: list[tuple[int, ObjectId]] = []
    total = 0
    while len(found) <= limit and rank >= 0:
        start = max(rank - chunk + 1, 0) if backward else rank
        ids, total = index().ranked_ids(q, principals, start=start,
                                        count=(rank - start + 1) if backward else chunk,
                                        filters=facets)
        ranked = list(zip(range(start, start + len(ids)), ids, strict=True))
        kept = _in_list(model, ids, query)
        found += [(r, ObjectId(i)) for r, i in (ranked[::-1] if backward else ranked)
                  if i in kept]
        rank = start - 1 if backward else start + len(ids)
        if not ids or rank >= total:
            break
    more = len(found) > limit
    found = found[:limit]
    if backward:
        found.reverse()
    items = list_pages.in_order(model, [ident for _, ident in found])
    return ListMatches(
        items=items, total=total,
        first_rank=found[0][0] if found else None, last_rank=found[-1][0] if found else None,
        more_after=True if backward else more,
        more_before=more if backward else bool(found) and found[0][0] > 0)


def _in_list(model: type[Content], ids: list[str], query: Mapping) -> set[str]:
    """Those of ``ids`` whose items are in the list ``query`` selects."""
    wanted = [ObjectId(i) for i in ids if ObjectId.is_valid(i)]
    if not wanted:
        return set()
    collection = model._get_collection()
    raw = list(collection.find({"_id": {"$in": wanted}},
                               dict.fromkeys(list_pages.fields_of(query), 1)))
    try:
        return {str(doc["_id"]) for doc in raw if list_pages.matches(doc, query)}
    except list_pages.Unknown:  # the database decides (a query the matcher does not know)
        return {str(doc["_id"]) for doc in collection.find(
            {"$and": [{"_id": {"$in": wanted}}, dict(query)]}, {"_id": 1})}


def related(user, item: Content, limit: int = 5):
    """Reviews and audits that share this item's key terms (learning that recurs)."""
    try:
        drain()
        return index().more_like_this(str(item.pk), user_principals(user), limit=limit)
    except (SearchUnavailable, SearchQueryError):
        return []


__all__ = ["SearchQueryError", "SearchUnavailable", "configure", "reindex", "search"]
