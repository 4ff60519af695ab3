"""Load Learning and Improvement Index entries (read from a document) as Reviews and Audits.

The reading is :mod:`documents.index_import`'s job; this module takes its entries — dicts
shaped like ``lif.demo.appendix_one.ENTRIES`` — checks each one, and hands the good ones to
:func:`lif.seed.seed_entries`, the same loader the demo uses: an entry whose name and date
an item of its kind already has is reported as present, never duplicated (also when two
imports of the same index run at once: the items' unique ``import_key``). The report says,
per entry, whether it was (or in a dry run would be) created, was already present, or was
refused and why.

An entry without a date is an item still in progress (LIF's own index gives no date for an
audit or review that has not reported): it is loaded at the start of its workflow, without a
date, never refused for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from config import taxonomy

from .. import audit_trail, dates, seed
from ..models.base import THEME_CHOICES
from ..models.learning import Activity, Finding
from ..models.review import Review
from . import operations

CREATED = "created"
PRESENT = "present"
REFUSED = "refused"

_REVIEW_TYPES = {t["key"] for t in taxonomy.REVIEW_TYPES}
_AUDIT_TYPES = {key for key, _ in taxonomy.AUDIT_TYPES}
_SECTIONS = {key for key, _ in taxonomy.LEARNING_SECTIONS}
_THEMES = {key for key, _ in THEME_CHOICES}
_MAX_TITLE = Review.title.max_length
_MAX_FINDING = Finding.text.max_length
_MAX_ACTIVITY = Activity.text.max_length


@dataclass
class EntryResult:
    """What happened (or would happen) to one entry."""

    outcome: str  # created, present or refused
    kind: str
    name: str
    date: str | None
    date_label: str = ""
    findings: int = 0
    activities: int = 0
    message: str = ""
    item_id: str | None = None

    @property
    def label(self) -> str:
        """How the outcome reads in a report."""
        return {CREATED: "created", PRESENT: "already present", REFUSED: "refused"}[self.outcome]


@dataclass
class ImportReport:
    """The outcome of an import, entry by entry, in document order."""

    dry_run: bool
    results: list[EntryResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count(CREATED)

    @property
    def present(self) -> int:
        return self.count(PRESENT)

    @property
    def refused(self) -> int:
        return self.count(REFUSED)

    def summary(self) -> str:
        """One line: what was (or would be) created, present and refused."""
        verb = "Would create" if self.dry_run else "Created"
        return (f"{verb} {self.created}, already present {self.present}, "
                f"refused {self.refused} (of {len(self.results)} entries).")


def check_entry(entry: dict) -> str | None:
    """Return why ``entry`` cannot be loaded, or ``None`` when it can."""
    name = (entry.get("name") or "").strip()
    if not name:
        return "The entry has no name."
    if len(name) > _MAX_TITLE:
        return f"The name is longer than {_MAX_TITLE} characters."
    if entry.get("date") and dates.as_date(entry["date"]) is None:
        return dates.bad_date_message(entry["date"])
    if entry.get("kind") not in ("review", "audit"):
        return "The entry is neither a review nor an audit."
    if entry["kind"] == "review" and entry.get("review_type") not in _REVIEW_TYPES:
        return f"Unknown type of review '{entry.get('review_type')}'."
    if entry["kind"] == "audit" and (entry.get("audit_type") or "multi_agency") not in _AUDIT_TYPES:
        return f"Unknown type of audit '{entry.get('audit_type')}'."
    if entry.get("section") not in _SECTIONS:
        return f"Unknown section '{entry.get('section')}'."
    if any(theme not in _THEMES for theme in entry.get("themes", [])):
        return "The entry names a theme LIF does not know."
    if any(len(text) > _MAX_FINDING for text in entry.get("findings", [])):
        return f"A finding is longer than {_MAX_FINDING} characters."
    if any(len(text) > _MAX_ACTIVITY for text in entry.get("activities", [])):
        return f"An improvement activity is longer than {_MAX_ACTIVITY} characters."
    return None


def _result(entry: dict, outcome: str, message: str = "", item=None) -> EntryResult:
    return EntryResult(
        outcome=outcome,
        kind=entry.get("kind") or "",
        name=(entry.get("name") or "").strip() or "(no name)",
        date=entry.get("date"),
        date_label=entry.get("date_label") or "",
        findings=len(entry.get("findings") or []),
        activities=len(entry.get("activities") or []),
        message=message,
        item_id=str(item.pk) if item is not None and item.pk else None,
    )


def import_entries(
    entries: Iterable[dict],
    actor,
    dry_run: bool = False,
    *,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Create Review and Audit items from index entries, as ``actor``.

    Entries that fail the checks (no name, an unreadable date, unknown type, too long) are
    refused without touching the database; the rest go through
    :func:`lif.seed.seed_entries`, which skips an entry already present (same kind, name and
    date) and checks the actor may create each item. One "import" event goes to the audit
    trail, besides each item's own "create".

    Every entry is read before the first is stored: ``entries`` may be a generator reading a
    document (``documents.index_import.iter_index``), and if it fails part-way nothing is
    stored and its error is raised.

    :param entries: Dicts shaped like ``lif.demo.appendix_one.ENTRIES``.
    :param actor: Who imports: the creator of the items.
    :param dry_run: Report what would happen; store nothing.
    :param progress: Called with (entries done, total).
    :param now: The time the items are created at.
    :param report: Filled in as the import goes (for the caller to show if it fails).
    :return: The report, one result per entry in the order given.
    """
    entries = list(entries)  # all of them first: a document failing part-way stores nothing
    report = report if report is not None else ImportReport(dry_run=dry_run)
    total = len(entries)
    slots: list[EntryResult | None] = []
    positions: dict[int, int] = {}
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def good() -> Iterator[dict]:
        for entry in entries:
            problem = check_entry(entry)
            if problem:
                slots.append(_result(entry, REFUSED, problem))
                advance()
            else:
                copy = dict(entry)  # one object per entry, even if a dict is listed twice
                positions[id(copy)] = len(slots)
                slots.append(None)
                yield copy

    def on_entry(entry: dict, outcome: str, detail: object) -> None:
        if outcome == REFUSED:
            slots[positions[id(entry)]] = _result(entry, REFUSED, str(detail))
        else:
            slots[positions[id(entry)]] = _result(entry, outcome, item=detail)
        advance()

    stopped = ""
    try:
        if dry_run:
            seed.seed_entries(good(), now=now, actor=actor, dry_run=True, on_entry=on_entry)
        else:
            # All of it or (after a failure, or a crash part-way) none of it.
            with operations.several_writes(
                    "imports", actor, label=f"import of {total} L&I Index entries") as operation:
                seed.seed_entries(good(), now=now, actor=actor, on_entry=on_entry,
                                  before_insert=operation.will_create_items)
    except BaseException as error:
        stopped = f" Stopped part-way, and what it had stored was removed: {error}"
        raise
    finally:
        report.results = [slot for slot in slots if slot is not None]
        if not dry_run and (report.created or not stopped):
            audit_trail.record("import", actor, object_type="learning_index",
                               object_title="Learning and Improvement Index",
                               detail=report.summary() + stopped)
    return report


__all__ = ["CREATED", "PRESENT", "REFUSED", "EntryResult", "ImportReport", "check_entry",
           "import_entries"]
