"""The Learning and Improvement Index (Appendix One of the framework), from live data.

Layout, which :func:`documents.index_import.parse_index` reads back::

    Title       Learning and Improvement Index
    Heading 1   one per LEARNING_SECTIONS group, in the framework's order
    Heading 2   one per entry: its name (so each entry is in the navigation pane)
    table       header row "Type of Review | Name | Reference | Date", one row of values
    paragraph   "Themes: …" and "Agencies: …" (labels, "; " between them)
    Heading 3   "Case Overview / Methodology", then one paragraph per line
    Heading 3   "Summary of Findings / Learning", then a numbered list (List Number)
    Heading 3   "Improvement Activity", then a bulleted list (List Bullet)

The index is publishable: it holds only the Review and Audit items the actor may view,
never trashed or restricted ones, and no referral's personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from config import taxonomy
from lif import clock, policy
from lif.models import Audit, Review
from lif.services import reference

from ..index_import import DATE_NOT_SET, date_matches_label, parse_date_text
from .common import DocumentBuilder, fmt_date, publication_redactor

TITLE = "Learning and Improvement Index"
HEADER = ("Type of Review", "Name", "Reference", "Date")
OVERVIEW = "Case Overview / Methodology"
FINDINGS = "Summary of Findings / Learning"
ACTIVITIES = "Improvement Activity"

_REVIEW_TYPES = {t["key"]: t["label"] for t in taxonomy.REVIEW_TYPES}
_AUDIT_TYPES = dict(taxonomy.AUDIT_TYPES)
_THEMES = dict(taxonomy.THEMES)


@dataclass
class IndexEntry:
    """What the index shows of one Review or Audit (read raw: thousands load quickly)."""

    is_audit: bool
    title: str
    review_type: str = ""
    audit_type: str = ""
    reference: str = ""
    date: dt.date | None = None
    date_label: str = ""
    section: str = ""
    overview: str = ""
    findings: list[tuple[int, str, str]] = field(default_factory=list)  # number, heading, text
    activities: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    key: str = ""


def entry_of(item) -> IndexEntry:
    """Return the index entry of a Review or Audit object."""
    audit = isinstance(item, Audit)
    return IndexEntry(
        is_audit=audit, title=item.title, review_type=getattr(item, "review_type", ""),
        audit_type=getattr(item, "audit_type", ""), reference=getattr(item, "reference", ""),
        date=item.date, date_label=item.date_label or "", section=item.section or "",
        overview=overview_of(item),
        findings=[(f.number or 0, f.heading or "", f.text) for f in item.findings],
        activities=[a.text for a in item.activities], themes=list(item.themes),
        agencies=list(item.agencies), key=str(item.pk or ""),
    )


def _entry_from_raw(doc: dict, audit: bool) -> IndexEntry:
    day = doc.get("date")
    overview = (doc.get("methodology") or doc.get("summary") or "") if audit else (
        doc.get("overview") or "")
    return IndexEntry(
        is_audit=audit, title=doc.get("title", ""), review_type=doc.get("review_type", ""),
        audit_type=doc.get("audit_type", ""), reference=doc.get("reference", ""),
        date=day.date() if isinstance(day, dt.datetime) else day,
        date_label=doc.get("date_label", ""), section=doc.get("section", ""),
        overview=overview,
        findings=[(f.get("number") or 0, f.get("heading", ""), f.get("text", ""))
                  for f in doc.get("findings", [])],
        activities=[a.get("text", "") for a in doc.get("activities", [])],
        themes=list(doc.get("themes", [])), agencies=list(doc.get("agencies", [])),
        key=str(doc.get("_id", "")),
    )


def type_label(item) -> str:
    """Return the "Type of Review" text of a Review, an Audit or an :class:`IndexEntry`."""
    if isinstance(item, Audit) or getattr(item, "is_audit", False):
        return _AUDIT_TYPES.get(item.audit_type, "Audit")
    return _REVIEW_TYPES.get(item.review_type, item.review_type or "Review")


def date_text(item) -> str:
    """Return the "Date" text: the label, plus the exact date when the label is vaguer (or
    "date not set" when the item has none and the label reads as a date), so that reading the
    index back gives the item's date and label again."""
    label = (item.date_label or "").strip()
    if item.date is None:
        if label and parse_date_text(label)[0] is not None:
            return f"{label} ({DATE_NOT_SET})"
        return label
    if not label:
        return fmt_date(item.date)
    if date_matches_label(label, item.date):
        return label
    return f"{label} ({fmt_date(item.date)})"


def overview_of(item) -> str:
    if isinstance(item, Audit):
        return item.methodology or item.summary or ""
    return item.overview or ""


_FIELDS = ("title", "review_type", "audit_type", "reference", "date", "date_label", "section",
           "overview", "methodology", "summary", "findings", "activities", "themes",
           "agencies")


def items_for(actor) -> list[IndexEntry]:
    """Return the Review and Audit entries ``actor`` may view, without restricted reviews."""
    items: list[IndexEntry] = []
    for model, extra in ((Review, {"restricted": {"$ne": True}}), (Audit, None)):
        flt = policy.view_filter(actor, model.type_key)
        if flt is None:
            continue
        query = {"$and": [flt, extra]} if extra else flt
        fields = [name for name in _FIELDS if name in model._fields]
        items += [_entry_from_raw(doc, model is Audit)
                  for doc in model.objects(__raw__=query).only(*fields).as_pymongo()]
    return items


def _sort_key(entry: IndexEntry):
    # Newest first, as in the framework's own index; then by name for a stable order.
    ordinal = entry.date.toordinal() if entry.date else 0
    return (-ordinal, entry.title.lower(), entry.key)


def grouped(items: list[IndexEntry]) -> list[tuple[str, str, list[IndexEntry]]]:
    """Group ``items`` under the five LEARNING_SECTIONS, each newest first."""
    groups: dict[str, list] = {key: [] for key, _ in taxonomy.LEARNING_SECTIONS}
    for entry in items:
        section = entry.section if entry.section in groups else (
            "audit" if entry.is_audit else "reviews"
        )
        groups[section].append(entry)
    return [(key, label, sorted(groups[key], key=_sort_key))
            for key, label in taxonomy.LEARNING_SECTIONS]


def write_entry(builder: DocumentBuilder, entry, agency_names: dict[str, str]) -> None:
    """Write one index entry (an :class:`IndexEntry`, a Review or an Audit)."""
    if not isinstance(entry, IndexEntry):
        entry = entry_of(entry)
    builder.heading(entry.title, level=2)
    builder.table(HEADER, [(type_label(entry), entry.title, entry.reference, date_text(entry))],
                  widths=(4.5, 6.5, 2.5, 4))
    if entry.themes:
        builder.label("Themes", "; ".join(_THEMES.get(key, key) for key in entry.themes))
    if entry.agencies:
        builder.label("Agencies", "; ".join(agency_names.get(key, key) for key in entry.agencies))
    builder.heading(OVERVIEW, level=3)
    builder.paragraphs(entry.overview)
    builder.heading(FINDINGS, level=3)
    findings = sorted(entry.findings, key=lambda f: f[0])
    builder.numbered([text for _, _, text in findings],
                     headings=[heading for _, heading, _ in findings])
    builder.heading(ACTIVITIES, level=3)
    builder.bullets(entry.activities)


def build(item, actor, *, progress: Callable[[int, int], None] | None = None) -> bytes:
    """Return the Learning and Improvement Index for ``actor`` as .docx bytes.

    :param item: Unused (the index covers everything the actor may view); ``None``.
    :param actor: Whose view of the data the index shows; its author.
    :param progress: Called with (entries written, total) as the index grows.
    """
    items = items_for(actor)
    builder = DocumentBuilder(
        TITLE, actor, subject="Appendix One - Learning and Improvement Index",
        redact=publication_redactor(), keywords="learning; improvement; index",
    )
    builder.paragraph(
        "Appendix One of the Liverpool LSCB Learning and Improvement Framework: the learning "
        "from audits, reviews, CDOP, performance management and other sources, with the "
        f"improvement activity that followed. {len(items)} entries, as at "
        f"{fmt_date(clock.today())}."
    )
    agency_names = {**{a["key"]: a["name"] for a in taxonomy.AGENCIES},
                    **reference.agency_names()}
    done = 0
    for _key, label, entries in grouped(items):
        builder.heading(label, level=1)
        if not entries:
            builder.paragraph("No entries.", italic=True)
        for entry in entries:
            write_entry(builder, entry, agency_names)
            done += 1
            if progress is not None:
                progress(done, len(items))
    return builder.to_bytes()
