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

from collections.abc import Callable

from config import taxonomy
from lif import clock, permissions
from lif.models import Audit, Review
from lif.services import reference

from ..index_import import date_matches_label
from .common import DocumentBuilder, fmt_date, publication_redactor

TITLE = "Learning and Improvement Index"
HEADER = ("Type of Review", "Name", "Reference", "Date")
OVERVIEW = "Case Overview / Methodology"
FINDINGS = "Summary of Findings / Learning"
ACTIVITIES = "Improvement Activity"

_REVIEW_TYPES = {t["key"]: t["label"] for t in taxonomy.REVIEW_TYPES}
_AUDIT_TYPES = dict(taxonomy.AUDIT_TYPES)
_THEMES = dict(taxonomy.THEMES)


def type_label(item) -> str:
    """Return the "Type of Review" text of a Review or an Audit."""
    if isinstance(item, Audit):
        return _AUDIT_TYPES.get(item.audit_type, "Audit")
    return _REVIEW_TYPES.get(item.review_type, item.review_type or "Review")


def date_text(item) -> str:
    """Return the "Date" text: the label, plus the exact date when the label is vaguer."""
    label = (item.date_label or "").strip()
    if item.date is None:
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


def items_for(actor) -> list:
    """Return the Review and Audit items ``actor`` may view, without restricted reviews."""
    items: list = []
    flt = permissions.view_filter(actor, "review")
    if flt is not None:
        items += list(Review.objects(__raw__={"$and": [flt, {"restricted": {"$ne": True}}]}))
    flt = permissions.view_filter(actor, "audit")
    if flt is not None:
        items += list(Audit.objects(__raw__=flt))
    return items


def _sort_key(item):
    # Newest first, as in the framework's own index; then by name for a stable order.
    ordinal = item.date.toordinal() if item.date else 0
    return (-ordinal, item.title.lower(), str(item.pk))


def grouped(items: list) -> list[tuple[str, str, list]]:
    """Group ``items`` under the five LEARNING_SECTIONS, each newest first."""
    groups: dict[str, list] = {key: [] for key, _ in taxonomy.LEARNING_SECTIONS}
    for item in items:
        section = item.section if item.section in groups else (
            "audit" if isinstance(item, Audit) else "reviews"
        )
        groups[section].append(item)
    return [(key, label, sorted(groups[key], key=_sort_key))
            for key, label in taxonomy.LEARNING_SECTIONS]


def write_entry(builder: DocumentBuilder, item, agency_names: dict[str, str]) -> None:
    """Write one index entry in the layout described in the module documentation."""
    builder.heading(item.title, level=2)
    reference_text = getattr(item, "reference", "") or ""
    builder.table(HEADER, [(type_label(item), item.title, reference_text, date_text(item))],
                  widths=(4.5, 6.5, 2.5, 4))
    if item.themes:
        builder.label("Themes", "; ".join(_THEMES.get(key, key) for key in item.themes))
    if item.agencies:
        builder.label("Agencies", "; ".join(agency_names.get(key, key) for key in item.agencies))
    builder.heading(OVERVIEW, level=3)
    builder.paragraphs(overview_of(item))
    builder.heading(FINDINGS, level=3)
    findings = sorted(item.findings, key=lambda f: f.number or 0)
    builder.numbered([f.text for f in findings], headings=[f.heading for f in findings])
    builder.heading(ACTIVITIES, level=3)
    builder.bullets(a.text for a in item.activities)


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
