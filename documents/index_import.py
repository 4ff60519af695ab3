"""Read a Learning and Improvement Index (.docx) back into entries LIF can load.

Two layouts are read, and documents mixing them:

-   the one :mod:`documents.writers.index` writes: a heading per section and per entry, a
    table whose header row is "Type of Review | Name | Reference | Date", "Themes:" and
    "Agencies:" lines, then "Case Overview / Methodology", "Summary of Findings / Learning"
    (a numbered list) and "Improvement Activity" (a bulleted list) under headings;
-   the framework's own Appendix One: "Type of Review: … Name: …", "Date: …",
    "Case Overview / Methodology:", "Summary of Findings / Learning:" with findings numbered
    "1. …" (or bulleted), and "Improvement Activity:", in paragraphs or — as in the source,
    where each entry is a table — in table cells, label and value in one cell or two. The
    CDOP and performance management groups' "Review / Activity: Source: …" and
    "Date / Period Covered: …" are read the same way.

The words it reads by (type texts, section headings, field labels, the words that point to a
theme or an agency) are data, in :mod:`config.index_vocabulary`. The file goes through
:mod:`documents.reader` (zip bomb and damage checks) first; every
failure is a :class:`~documents.errors.DocumentError` with one sentence a person can act on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from config import index_vocabulary as vocabulary
from config import taxonomy
from lif import dates

from .errors import DocumentError
from .reader import iter_blocks

__all__ = ["DATE_NOT_SET", "classify_type", "date_matches_label", "iter_index",
           "parse_date_text", "parse_index"]

NO_ENTRIES = "No Learning and Improvement Index entries were found in the document."

# --- dates ---------------------------------------------------------------------------------

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r"\.?,?\s+(\d{4})(?!\d)", re.I
)
_MONTH_DAY_YEAR = re.compile(_MONTH_RE + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,\s+(\d{4})(?!\d)",
                             re.I)
_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d])")
_MONTH_YEAR = re.compile(r"\b" + _MONTH_RE + r"\.?,?\s+(\d{4})(?!\d)", re.I)
_FINANCIAL_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[/-]\s*(\d{2}|(?:19|20)\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_WITH_EXACT = re.compile(r"(.*\S)\s*\(([^()]+)\)")
#: What LIF writes after the label of an item that has no date, where the label alone would
#: be read as one ("Report to LSCB Spring 2027 (date not set)").
DATE_NOT_SET = "date not set"
_NOT_SET = re.compile(r"(.*\S)\s*\(" + DATE_NOT_SET + r"\)", re.I)


def _date(year: int, month: int, day: int) -> dt.date | None:
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _exact_date(text: str) -> dt.date | None:
    """Return the date if ``text`` is nothing but one full date (the one date reader's)."""
    return dates.as_date(text.strip().rstrip("."))


def _loose_date(text: str) -> dt.date | None:
    """Find the most precise date a free-text date label gives."""
    if match := _ISO.search(text):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _DAY_MONTH_YEAR.search(text):
        return _date(int(match[3]), _MONTHS[match[2].lower()[:3]], int(match[1]))
    if match := _MONTH_DAY_YEAR.search(text):
        return _date(int(match[3]), _MONTHS[match[1].lower()[:3]], int(match[2]))
    if match := _NUMERIC.search(text):
        return _date(int(match[3]), int(match[2]), int(match[1]))
    if match := _MONTH_YEAR.search(text):
        return _date(int(match[2]), _MONTHS[match[1].lower()[:3]], 1)
    if match := _FINANCIAL_YEAR.search(text):
        start, end = int(match[1]), match[2]
        end_year = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
        if end_year == start + 1:
            # A financial year ("2015/16") is reported at its end, 31 March.
            return dt.date(end_year, 3, 31)
    if match := _YEAR.search(text):
        return dt.date(int(match[1]), 1, 1)
    return None


def parse_date_text(text: str) -> tuple[dt.date | None, str]:
    """Turn an index "Date" into a date and the label to keep.

    "Report to LSCB NOVEMBER 2016" → (2016-11-01, the text); "2015/16" → (2016-03-31, the
    text); "March 2014" → (2014-03-01, the text); "Report to LSCB June 2016 (15 June 2016)",
    as LIF writes a label vaguer than its date → (2016-06-15, "Report to LSCB June 2016");
    "Report to LSCB Spring 2027 (date not set)", as LIF writes a label of an item without a
    date → (``None``, "Report to LSCB Spring 2027"); a bare full date such as "15 June 2016"
    → (2016-06-15, "") since the date says it all.

    :param text: The text after "Date:".
    :return: The date (``None`` when none can be found) and the date label.
    """
    text = " ".join((text or "").split())
    if not text:
        return None, ""
    if match := _NOT_SET.fullmatch(text):
        return None, match[1]
    if (match := _WITH_EXACT.fullmatch(text)) and (exact := _exact_date(match[2])):
        return exact, match[1]
    if exact := _exact_date(text):
        return exact, ""
    return _loose_date(text), text


def date_matches_label(label: str, date: dt.date) -> bool:
    """Whether reading ``label`` back gives exactly ``date``."""
    return parse_date_text(label)[0] == date


# --- types and sections -----------------------------------------------------------------

_REVIEW_LABELS = {t["label"].lower(): t["key"] for t in taxonomy.REVIEW_TYPES}
_REVIEW_KEYS = {t["key"] for t in taxonomy.REVIEW_TYPES}
_SECTION_KEYS = {key for key, _ in taxonomy.LEARNING_SECTIONS}

_TYPE_RULES = vocabulary.REVIEW_TYPE_WORDS
_SECTION_DEFAULT_TYPE = vocabulary.SECTION_DEFAULT_TYPE
_TYPE_SECTION = vocabulary.TYPE_SECTION


def _audit_type(text: str) -> tuple[str, str]:
    """Return (review type key, audit type key) of an audit's type text."""
    if re.search(r"section\s*11|self[\s-]*assessment", text):
        return "section_11", "section_11"
    if re.search(r"single[\s-]*agency", text):
        return "single_agency_audit", "single_agency"
    if "thematic" in text:
        return "multi_agency_audit", "thematic"
    return "multi_agency_audit", "multi_agency"


def classify_type(text: str, section: str | None = None) -> tuple[str, str, str]:
    """Map a "Type of Review" text to (kind, review type key, audit type key).

    "Audit" and anything naming an audit is an Audit item; "Serious Case Review" → ``scr``,
    "Critical Case Review" → ``critical_case_review``, "Ofsted" → ``ofsted_inspection``,
    "CDOP" → ``cdop_learning``, and so on. An empty or unknown text falls back on the
    section the entry is in, then on ``other``.
    """
    norm = " ".join((text or "").lower().replace("–", "-").split())
    if norm and (re.search(r"\baudit", norm) or re.search(r"section\s*11|self[\s-]*assess",
                                                           norm)):
        review_type, audit_type = _audit_type(norm)
        return "audit", review_type, audit_type
    if norm in _REVIEW_LABELS:
        return "review", _REVIEW_LABELS[norm], ""
    if norm.replace(" ", "_") in _REVIEW_KEYS:
        return "review", norm.replace(" ", "_"), ""
    for pattern, key in _TYPE_RULES:
        if norm and re.search(pattern, norm):
            return "review", key, ""
    if section == "audit" and not norm:
        return "audit", "multi_agency_audit", "multi_agency"
    return "review", _SECTION_DEFAULT_TYPE.get(section or "", "other"), ""


_SECTION_NAMES = dict(vocabulary.SECTION_HEADINGS)
_SECTION_NAMES.update({label.lower(): key for key, label in taxonomy.LEARNING_SECTIONS})


def _section_of(text: str) -> str | None:
    norm = " ".join(text.lower().split()).rstrip(":").strip()
    return _SECTION_NAMES.get(norm)


# --- labels ---------------------------------------------------------------------------------

_FIELD_NAMES = vocabulary.FIELD_LABELS
_FIELD_START = re.compile(
    r"\s*(type\s+of\s+review(?:\s*/\s*audit)?|type\s+of\s+audit|review\s*/\s*activity"
    r"|date\s*/\s*period\s+covered|period\s+covered|name|source|reference|date|themes"
    r"|agencies)\s*:\s*",
    re.I,
)
_FIELD_NEXT = re.compile(
    r"\s(name|source|date\s*/\s*period\s+covered|date|reference)\s*:\s*", re.I
)
_SOURCE_ENTRY = re.compile(r"\s*([^:]{2,80}?)\s*:?\s+source\s*:\s*(.*)", re.I)
_OTHER_SOURCE = re.compile(r"review|sub[\s-]*group|other|\bdhrs?\b|homicide|children|famil",
                           re.I)
_LIST_NUMBER = re.compile(r"\s*\(?(\d{1,3})[.)](?!\d)\s*")
_BULLET = re.compile(r"\s*[\u2022\u25aa\u25cf\u25e6\u2023\u2043\uf0b7\uf0a7\uf0d8\uf076\u00b7"
                     r"\u2013\u2014*-]\s*")
_GLYPH = re.compile(r"\s*[\u2022\u25aa\u25cf\u25e6\u2023\u2043\uf0b7\uf0a7\uf0d8\uf076\u00b7]\s*")

# Block labels: a line that is the label (optionally with a colon and text after it).
_BLOCKS = [
    (re.compile(r"case\s+overview\s*/\s*methodology|case\s+overview|methodology|overview",
                re.I), "overview"),
    (re.compile(r"summary\s+of\s+findings\s*/?\s*(?:and\s+)?learning|summary\s+of\s+findings"
                r"|findings\s*/\s*learning|summary\s+of\s+learning|key\s+findings|findings"
                r"|learning|summary", re.I), "findings"),
    (re.compile(r"(?:lscb\s+)?improvement\s+activit(?:y|ies)", re.I), "activities"),
    (re.compile(r"evidence\s+of\s+improvement", re.I), "ignore"),
]


def _field_key(label: str) -> str:
    return _FIELD_NAMES[re.sub(r"\s*/\s*", "/", " ".join(label.lower().split()))]


def _block_of(text: str) -> tuple[str, str] | None:
    """Return (mode, text after the label) when ``text`` starts with a block label."""
    for pattern, mode in _BLOCKS:
        match = pattern.match(text.strip())
        if match is None:
            continue
        rest = text.strip()[match.end():]
        if not rest.strip():
            return mode, ""
        if rest.lstrip().startswith(":"):
            return mode, rest.lstrip()[1:].strip()
    return None


def _fields_in(text: str) -> list[tuple[str, str]]:
    """Split "Type of Review: Audit Name: X" into [("type", "Audit"), ("name", "X")]."""
    match = _FIELD_START.match(text)
    if match is None:
        return []
    pairs: list[tuple[str, str]] = []
    key = _field_key(match[1])
    rest = text[match.end():]
    while True:
        following = _FIELD_NEXT.search(" " + rest) if key in ("type", "name") else None
        if following is None:
            pairs.append((key, rest.strip()))
            return pairs
        pairs.append((key, rest[: following.start()].strip()))
        key = _field_key(following[1])
        rest = (" " + rest)[following.end():]


# --- inference of themes and agencies (source layout, where the index names none) --------

_THEME_WORDS = vocabulary.THEME_WORDS
_AGENCY_WORDS = vocabulary.AGENCY_WORDS
_THEME_LABELS = {label.lower(): key for key, label in taxonomy.THEMES}
_THEME_LABELS.update({key: key for key, _ in taxonomy.THEMES})
_AGENCY_LABELS = {a["name"].lower(): a["key"] for a in taxonomy.AGENCIES}
_AGENCY_LABELS.update({a["key"]: a["key"] for a in taxonomy.AGENCIES})


def _keys(text: str, labels: dict[str, str]) -> list[str]:
    keys: list[str] = []
    for part in re.split(r";|\n", text):
        key = labels.get(" ".join(part.lower().split()))
        if key and key not in keys:
            keys.append(key)
    return keys


def _infer(text: str, words: dict[str, str]) -> list[str]:
    lowered = text.lower()
    return [key for key, pattern in words.items() if re.search(pattern, lowered)]


# --- the parser ---------------------------------------------------------------------------

_REFERENCE = re.compile(r"([A-Z]{2,5}\s?\d{3,5})\b")


@dataclass
class _Draft:
    section: str | None
    fields: dict[str, str] = field(default_factory=dict)
    overview: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    last_numbered: bool = False
    fallback_name: str = ""

    def to_entry(self) -> dict | None:
        name = " ".join(self.fields.get("name", "").split()) or self.fallback_name
        if not name:
            return None  # the index's blank template rows
        kind, review_type, audit_type = classify_type(self.fields.get("type", ""),
                                                      self.section)
        section = self.section or (
            "audit" if kind == "audit" else _TYPE_SECTION.get(review_type, "reviews")
        )
        date, label = parse_date_text(self.fields.get("date", ""))
        reference = " ".join(self.fields.get("reference", "").split())
        if not reference and kind == "review" and (match := _REFERENCE.match(name)):
            reference = match[1]
        all_text = "\n".join([name, *self.overview, *self.findings, *self.activities])
        themes = (_keys(self.fields["themes"], _THEME_LABELS) if "themes" in self.fields
                  else _infer(all_text, _THEME_WORDS))
        agencies = (_keys(self.fields["agencies"], _AGENCY_LABELS)
                    if "agencies" in self.fields else _infer(all_text, _AGENCY_WORDS))
        return {
            "kind": kind,
            "section": section if section in _SECTION_KEYS else "reviews",
            "review_type": review_type,
            "audit_type": audit_type,
            "name": name,
            "reference": reference,
            "date": date.isoformat() if date else None,
            "date_label": label,
            "overview": "\n".join(self.overview),
            "findings": [text for text in self.findings if text.strip()],
            "activities": [text for text in self.activities if text.strip()],
            "themes": themes,
            "agencies": agencies,
            "independent_reviewer": "",
        }


class _Parser:
    """A small state machine over the document's headings, paragraphs and table cells."""

    def __init__(self) -> None:
        self.section: str | None = None
        self.entry: _Draft | None = None
        self.mode: str | None = None  # None, fields, overview, findings, activities, ignore
        self.pending: str | None = None  # a field whose value is on the next line
        self.last_heading = ""
        self.entries: list[dict] = []

    # entries
    def start_entry(self) -> None:
        self.finish_entry()
        self.entry = _Draft(section=self.section, fallback_name=self.last_heading)
        self.mode = "fields"

    def finish_entry(self) -> None:
        if self.entry is not None and (entry := self.entry.to_entry()) is not None:
            self.entries.append(entry)
        self.entry = None
        self.mode = None
        self.pending = None

    # blocks
    def heading(self, text: str) -> None:
        text = " ".join(text.split())
        if (section := _section_of(text)) is not None:
            self.finish_entry()
            self.section = section
            self.last_heading = ""
            return
        if _fields_in(text):
            self.line(text, None)
            return
        block = _block_of(text)
        if block is not None and self.entry is not None:
            self.mode, rest = block
            self.pending = None
            if rest:
                self.content(rest, None)
            return
        if self.entry is not None:
            self.mode = None
        self.last_heading = text

    def table(self, rows: list[list[str]]) -> None:
        header = [" ".join(cell.lower().split()).rstrip(":") for cell in rows[0]] if rows else []
        keys = [_FIELD_NAMES.get(re.sub(r"\s*/\s*", "/", cell)) for cell in header]
        if len(rows) > 1 and keys and keys[0] == "type" and all(keys):
            for row in rows[1:]:
                self.start_entry()
                for key, value in zip(keys, row, strict=False):
                    self.entry.fields[key] = value.strip()
            self.last_heading = ""
            return
        for row in rows:
            for cell in row:
                for line in cell.split("\n"):
                    self.line(line, None)

    def paragraph(self, text: str, style: str) -> None:
        if self.mode in ("findings", "activities") and style.startswith("List"):
            self.line(text, style)
            return
        for line in text.split("\n"):
            self.line(line, style)

    def line(self, text: str, style: str | None) -> None:
        if not text.strip():
            return
        heading, self.last_heading = self.last_heading, ""
        if (section := _section_of(text)) is not None:
            self.finish_entry()
            self.section = section
            return
        content_mode = self.mode in ("overview", "findings", "activities", "ignore")
        fields = _fields_in(text)
        starts_entry = bool(fields) and fields[0][0] == "type"
        if (not starts_entry and self.section == "other"
                and (match := _SOURCE_ENTRY.match(text))
                and (not content_mode or _OTHER_SOURCE.search(match[1]))):
            self.last_heading = heading
            self.start_entry()
            self.entry.fields.update({"type": match[1], "name": match[2].strip()})
            self.pending = "name" if not match[2].strip() else None
            return
        if fields and (starts_entry or not content_mode):
            if starts_entry or self.entry is None:
                if fields[0][0] in ("themes", "agencies") and self.entry is None:
                    return
                self.last_heading = heading
                self.start_entry()
            for key, value in fields:
                self.entry.fields[key] = value
            last_key, last_value = fields[-1]
            self.pending = last_key if not last_value and last_key in (
                "type", "name", "date", "reference") else None
            self.mode = "fields"
            return
        block = _block_of(text)
        if block is not None and self.entry is not None:
            mode, rest = block
            if not (mode == "findings" and self.mode == "findings" and not rest):
                self.mode = mode
            self.pending = None
            if rest:
                self.content(rest, style)
            return
        if self.pending and self.entry is not None and self.mode == "fields":
            self.entry.fields[self.pending] = text.strip()
            self.pending = None
            return
        if content_mode and self.entry is not None:
            self.content(text, style)

    def content(self, text: str, style: str | None) -> None:
        entry = self.entry
        text = text.strip()
        style = style or ""
        if self.mode == "overview":
            entry.overview.append(_GLYPH.sub("", text, count=1) if _GLYPH.match(text) else text)
        elif self.mode == "activities":
            if not style.startswith("List") and (match := _BULLET.match(text)):
                text = text[match.end():]
            if text:
                entry.activities.append(text)
        elif self.mode == "findings":
            self._finding(text, style)

    def _finding(self, text: str, style: str) -> None:
        entry = self.entry
        if style.startswith("List Number"):
            entry.findings.append(text)
            entry.last_numbered = True
        elif match := _LIST_NUMBER.match(text):
            if text[match.end():].strip():
                entry.findings.append(text[match.end():].strip())
                entry.last_numbered = True
        elif style.startswith("List") or _BULLET.match(text):
            match = _BULLET.match(text)
            stripped = text[match.end():] if match and not style.startswith("List") else text
            if stripped.strip():
                entry.findings.append(stripped.strip())
            entry.last_numbered = False
        elif text.endswith(":") and len(text) < 300:
            return  # a lead-in such as "Main findings from 32 audit tools completed:"
        elif entry.findings and entry.last_numbered:
            entry.findings[-1] += "\n" + text
        else:
            entry.findings.append(text)


def iter_index(data: bytes) -> Iterator[dict]:
    """Read the entries of a Learning and Improvement Index document one by one.

    The file is checked and opened before this returns (a bad file raises here, before the
    first entry); each entry is yielded as soon as the document has given all of it, so a
    caller can store entries while the rest of the document is read.

    :param data: The raw ``.docx`` content.
    :return: An iterator of entries, as :func:`parse_index` returns them.
    :raise DocumentError: If the file is refused by the zip checks or cannot be read as a
        Word document (here), or holds no entries (at the end of the iteration).
    """
    blocks = iter_blocks(data)

    def entries() -> Iterator[dict]:
        parser = _Parser()
        given = 0
        for block in blocks:
            if block[0] == "heading":
                parser.heading(block[2])
            elif block[0] == "paragraph":
                parser.paragraph(block[2], block[1])
            else:
                parser.table(block[1])
            while given < len(parser.entries):
                given += 1
                yield parser.entries[given - 1]
        parser.finish_entry()
        yield from parser.entries[given:]
        if not parser.entries:
            raise DocumentError(NO_ENTRIES)

    return entries()


def parse_index(data: bytes) -> list[dict]:
    """Read the entries of a Learning and Improvement Index document.

    :param data: The raw ``.docx`` content.
    :return: One dict per entry, shaped like ``lif.demo.appendix_one.ENTRIES`` (kind,
        section, review_type, audit_type, name, reference, date — ISO, or ``None`` when the
        document gives none —, date_label, overview, findings, activities, themes,
        agencies), in document order. Entries without a name (the index's blank template)
        are left out.
    :raise DocumentError: If the file is refused by the zip checks, cannot be read as a
        Word document, or holds no entries.
    """
    return list(iter_index(data))
