"""Creating many items at once (loading an index) keeps every guarantee of creating one."""

from __future__ import annotations

import datetime as dt

import pytest

from lif.actors import SYSTEM
from lif.errors import Conflict, InvalidInput, PermissionDenied
from lif.models import AuditEvent, Meeting, Review, Version
from lif.services import content, searching
from lif.services.content import NewItem

from ..conftest import make_user


def review_row(title: str, state: str | None = None, **extra) -> NewItem:
    data = {"title": title, "review_type": "scr", "date": dt.date(2016, 6, 1),
            "overview": f"Overview of {title}.", **extra}
    return NewItem(Review, data, placed_in=state)


def test_each_item_gets_its_version_event_history_and_search_entry(clean_db):
    searching.reindex()
    rows = [review_row("Child V", "ratified_lscb"), review_row(""),  # no title: refused
            review_row("Child W", overview="Learning about cuckooing.")]
    results = content.create_many(rows, SYSTEM, note="Loaded from the index",
                                  placed_how="Loaded from the L&I Index")

    assert isinstance(results[1], InvalidInput) and "title" in results[1].errors
    assert Review.objects.count() == 2
    placed, plain = Review.objects(title="Child V").get(), Review.objects(title="Child W").get()
    assert (placed.state, plain.state) == ("ratified_lscb", "initiated")
    assert [(h.action, h.from_state, h.to_state, h.comment) for h in placed.workflow_history] == [
        ("import", "initiated", "ratified_lscb", "Loaded from the L&I Index")]
    version = Version.objects(object_id=str(placed.pk)).get()
    assert (version.number, version.note, version.snapshot["state"]) == (
        1, "Loaded from the index", "ratified_lscb")
    created = AuditEvent.objects(object_id=str(placed.pk)).get()
    assert created.action == "create"
    assert created.changes == {"state": ["initiated", "ratified_lscb"]}
    assert AuditEvent.objects(object_id=str(plain.pk)).get().changes == {}
    assert [h.title for h in searching.search(SYSTEM, "cuckooing").hits] == ["Child W"]

    # The returned item is an ordinary stored item: it can be edited at once.
    content.update(results[0], {"overview": "Changed."}, SYSTEM, base_version=1)
    assert Review.objects(title="Child V").get().overview == "Changed."
    assert Version.objects(object_id=str(placed.pk)).count() == 2


def test_a_row_the_actor_may_not_create_is_refused_alone(clean_db):
    lead = make_user("lead", "police")
    results = content.create_many([review_row("Child X")], lead, note="")
    assert isinstance(results[0], PermissionDenied) and Review.objects.count() == 0


def test_a_duplicate_is_refused_alone_and_the_rest_stored(clean_db):
    """Meetings have a unique slot: rows 150-249 repeat the slots of rows 0-99."""
    def meeting(number: int) -> NewItem:
        return NewItem(Meeting, {"title": f"Meeting {number}", "committee": "ciec",
                                 "date": dt.date(2026, 1, 1), "slot": f"slot-{number % 150}"})

    searching.reindex()
    results = content.create_many([meeting(n) for n in range(250)], SYSTEM, note="")

    assert all(isinstance(r, Conflict) for r in results[150:])
    assert not any(isinstance(r, Conflict) for r in results[:150])
    stored = {m.title for m in Meeting.objects}
    assert stored == {f"Meeting {n}" for n in range(150)}
    ids = [str(m.pk) for m in Meeting.objects]
    assert Version.objects(object_id__in=ids).count() == Version.objects.count() == 150
    assert AuditEvent.objects(object_id__in=ids, action="create").count() == 150
    assert AuditEvent.objects(action="create").count() == 150
    assert searching.search(SYSTEM, '"Meeting 149"').total == 1
    assert searching.search(SYSTEM, '"Meeting 150"').total == 0


def test_an_index_failing_part_way_stores_nothing(clean_db):
    """A document read in full before anything is stored: a failure part-way stores none."""
    from documents.errors import DocumentError
    from lif.services import learning_index

    def entries():
        for number in range(250):
            yield {"kind": "review", "section": "reviews", "review_type": "scr",
                   "name": f"Child {number}", "date": "2016-06-01", "date_label": "",
                   "overview": "Overview.", "findings": ["A finding."], "activities": [],
                   "themes": [], "agencies": [], "reference": ""}
        raise DocumentError("The Word document could not be read; it may be damaged.")

    events = AuditEvent.objects.count()
    with pytest.raises(DocumentError):
        learning_index.import_entries(entries(), SYSTEM)

    assert Review.objects.count() == Version.objects.count() == 0
    assert AuditEvent.objects.count() == events
