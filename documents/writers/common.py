"""What every generated Word document shares: properties, styles, page numbers, tables, lists.

Every writer builds its document through :class:`DocumentBuilder`, so each one gets, without
asking:

-   core properties (title, subject, author, created, last modified by) set from the data and
    the actor, not python-docx's template defaults;
-   real heading styles ("Title", "Heading 1".."Heading 3"), so Word's navigation pane and
    a screen reader's heading list work;
-   a footer with a real ``PAGE`` / ``NUMPAGES`` field ("Page 3 of 12") and the title of the
    statutory framework the document was written under (the item's, else the install's),
    and a header carrying the document's protective marking;
-   real tables whose first row is a header row (bold, shaded, and repeated at the top of
    every page it runs onto);
-   real numbered lists: each list is its own numbering instance of the "List Number" style
    restarting at 1, so findings read "1. 2. 3." in Word and stay numbered when edited;
-   a last line of defence for personal data: every piece of text goes through a
    :class:`Redactor`, which for publishable documents removes the names and dates of birth
    of every child and adult named in a referral, should one have been typed into free text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import Table
from lxml.etree import SubElement

from lif import clock, frameworks, redact
from lif.actors import actor_email
from lif.models import Referral
from lif.models.referral import CRITERIA, RECOMMENDATIONS
from lif.redact import REDACTED, Redaction, Redactor, referral_people
from lif.redact import publication as publication_redactor
from lif.services import reference
from lif.values import printable

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

#: Header text of documents that may be published or shared widely.
MARKING_PUBLIC = "OFFICIAL"
#: Header text of the CIEC forms that may carry children's and families' details.
MARKING_RESTRICTED = "OFFICIAL-SENSITIVE: personal data - do not forward or publish"

NOT_SHOWN = "[restricted: not shown to you]"

RAG_COLOURS = {"red": "F4CCCC", "amber": "FCE5CD", "green": "D9EAD3"}
_HEADER_FILL = "D9E2F3"
_TWIPS_PER_CM = 567


_W_P, _W_PPR, _W_PSTYLE, _W_NUM_PR, _W_ILVL, _W_NUM_ID = (
    qn(t) for t in ("w:p", "w:pPr", "w:pStyle", "w:numPr", "w:ilvl", "w:numId"))
_W_R, _W_RPR, _W_B, _W_I, _W_T, _W_BR, _W_TAB = (
    qn(t) for t in ("w:r", "w:rPr", "w:b", "w:i", "w:t", "w:br", "w:tab"))
_W_TBL, _W_TBL_PR, _W_TBL_STYLE, _W_TBL_W, _W_JC, _W_TBL_LOOK, _W_TBL_GRID, _W_GRID_COL = (
    qn(t) for t in ("w:tbl", "w:tblPr", "w:tblStyle", "w:tblW", "w:jc", "w:tblLook",
                    "w:tblGrid", "w:gridCol"))
_W_TR, _W_TR_PR, _W_CANT_SPLIT, _W_TBL_HEADER, _W_TC, _W_TC_PR, _W_TC_W, _W_SHD = (
    qn(t) for t in ("w:tr", "w:trPr", "w:cantSplit", "w:tblHeader", "w:tc", "w:tcPr",
                    "w:tcW", "w:shd"))
_W_NUM, _W_ABSTRACT_NUM_ID, _W_LVL_OVERRIDE, _W_START_OVERRIDE = (
    qn(t) for t in ("w:num", "w:abstractNumId", "w:lvlOverride", "w:startOverride"))
_W_SECT_PR = qn("w:sectPr")
_W_VAL, _W_W, _W_TYPE, _W_COLOR, _W_FILL, _W_FIRST_ROW = (
    qn(t) for t in ("w:val", "w:w", "w:type", "w:color", "w:fill", "w:firstRow"))
_W_NUM_ID_ATTR, _W_ILVL_ATTR = qn("w:numId"), qn("w:ilvl")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def fmt_date(value: dt.date | dt.datetime | None, default: str = "") -> str:
    """Return ``value`` as "7 March 2016" (the day without a leading zero)."""
    if value is None:
        return default
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.day} {value:%B %Y}"


def slug(text: str, limit: int = 60) -> str:
    """Return a file-name-safe ASCII slug of ``text``."""
    ascii_text = text.encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return cleaned[:limit].rstrip("-") or "document"


def actor_name(actor) -> str:
    """Return how the actor is named as a document's author."""
    return getattr(actor, "name", "") or actor_email(actor)


def personal_view(referral: Referral, actor) -> tuple[bool, Redaction]:
    """Decide what a restricted form shows ``actor`` of ``referral``'s people.

    :return: Whether the actor may see personal data, and the redaction to write with.
    """
    redaction = redact.for_item(actor, referral)
    return redaction.shows_personal, redaction


def person_rows(people: Iterable, *, role: bool = True) -> list[tuple[str, ...]]:
    """Return table rows (name, [role,] date of birth, date of death) for ``people``."""
    rows = []
    for person in people:
        if person is None:
            continue
        row = [person.name]
        if role:
            row.append(person.role or "")
        row += [fmt_date(person.date_of_birth), fmt_date(person.date_of_death)]
        rows.append(tuple(row))
    return rows


def child_section(b, referral, may_see: bool) -> None:
    """The "Child or young person" section of a referral's document: the child's details to
    whoever may see them, a line saying they are withheld to anyone else."""
    b.heading("Child or young person", 1)
    if not may_see:
        b.paragraph(NOT_SHOWN, italic=True)
    elif referral.child is not None:
        b.table(("Name", "Date of birth", "Date of death"),
                person_rows([referral.child], role=False))
    else:
        b.paragraph("Not given.", italic=True)


def agency_label(key: str | None) -> str:
    """Return an agency's name from its key ("" for none)."""
    return reference.agency_name(key) if key else ""


def criteria_options(selected: Iterable[str]) -> list[tuple[str, bool]]:
    """Return the CIGSCR1 criteria as (text, ticked) pairs, in the form's order."""
    chosen = set(selected or ())
    return [(text, key in chosen) for key, text in CRITERIA]


def recommendation_label(key: str | None, default: str = "Not yet recorded") -> str:
    return dict(RECOMMENDATIONS).get(key or "", default)


def override_text(recorded) -> str:
    """"Recorded by X in place of Y. Reason: ..." for a decision recorded as an override."""
    return (f"Recorded by {recorded.by} in place of {recorded.in_place_of}. "
            f"Reason: {recorded.reason}")


def _field(paragraph, instruction: str, placeholder: str) -> None:
    """Append a simple field (e.g. ``PAGE``) that Word updates when it lays the page out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} \\* MERGEFORMAT ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = placeholder
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


class DocumentBuilder:
    """A Word document under construction, with LIF's house style.

    :param title: The document title: the "Title" paragraph and the core property.
    :param actor: Who the document is generated for (the core property ``author``).
    :param subject: The core property ``subject`` (e.g. "CIGSCR1").
    :param marking: The protective marking printed in the header.
    :param redact: Applied to every text written; by default nothing is removed.
    :param landscape: Lay the pages out landscape (wide action tables).
    :param keywords: The core property ``keywords``.
    :param framework: The framework the document is written under, named in its footer:
        the item's (``frameworks.of(item)``); by default the install's.
    """

    def __init__(
        self,
        title: str,
        actor,
        *,
        subject: str = "",
        marking: str = MARKING_PUBLIC,
        redact: Redactor | None = None,
        landscape: bool = False,
        keywords: str = "",
        framework: frameworks.Framework | None = None,
    ) -> None:
        self.redact = redact or Redactor()
        self.framework = framework or frameworks.active()
        self.doc = docx.Document()
        # Paragraphs name their style by id; python-docx would look each name up by
        # scanning every style, so the ids are resolved once here.
        self._style_ids = {style.name: style.style_id for style in self.doc.styles}
        self._next_num_id = self._max_num_id() + 1
        self._list_number_abstract = self._abstract_for("List Number")
        title = printable(self.redact(title))
        self._set_properties(title, actor, subject, keywords)
        self._set_styles()
        self._set_page(landscape, marking, title)
        self._body_el = self.doc.element.body
        self._sect_pr = self._body_el.find(_W_SECT_PR)
        section = self.doc.sections[-1]
        self._block_width = section.page_width - section.left_margin - section.right_margin
        self.heading(title, 0)

    # --- set-up ------------------------------------------------------------------------
    def _set_properties(self, title: str, actor, subject: str, keywords: str) -> None:
        now = clock.now().replace(tzinfo=dt.UTC)
        props = self.doc.core_properties
        props.title = title[:255]
        props.subject = subject[:255]
        props.author = actor_name(actor)[:255]
        props.last_modified_by = actor_name(actor)[:255]
        props.created = now
        props.modified = now
        props.revision = 1
        props.keywords = keywords[:255]
        props.category = self.framework.title[:255]
        props.comments = "Generated by LIF from live data."

    def _set_styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(10.5)
        for name, size in (("Title", 22), ("Heading 1", 15), ("Heading 2", 13),
                           ("Heading 3", 11.5)):
            style = styles[name]
            style.font.name = "Arial"
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)

    def _set_page(self, landscape: bool, marking: str, title: str) -> None:
        section = self.doc.sections[0]
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = section.page_height, section.page_width
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2))
        header = section.header.paragraphs[0]
        header.text = marking
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        header.runs[0].bold = marking != MARKING_PUBLIC
        footer = section.footer.paragraphs[0]
        footer.add_run(f"{title[:80]}    Page ")
        _field(footer, "PAGE", "1")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES", "1")
        section.footer.add_paragraph(self.framework.title)

    def _max_num_id(self) -> int:
        numbering = self.doc.part.numbering_part.element
        ids = [int(v) for v in numbering.xpath("./w:num/@w:numId")]
        return max(ids, default=0)

    def _abstract_for(self, style_name: str) -> int:
        style = self.doc.styles[style_name]
        num_id = style.element.pPr.numPr.numId.val
        numbering = self.doc.part.numbering_part.element
        return int(numbering.num_having_numId(num_id).abstractNumId.val)

    # --- text --------------------------------------------------------------------------
    # Body content is built as WordprocessingML directly with lxml. python-docx's element
    # classes do the same work per element with lookups that grow with the document (the
    # body's sectPr found by scanning every child, styles found by scanning every style):
    # a 1,000-entry index took over ten seconds through them.

    def _append(self, element) -> None:
        """Insert ``element`` at the end of the body, before its section properties."""
        if self._sect_pr is None:
            self._body_el.append(element)
        else:
            self._sect_pr.addprevious(element)

    def _text(self, text) -> str:
        return printable(self.redact(text))

    def _p(self, style: str | None = None, parent=None, num_id: int | None = None):
        """Create a ``w:p`` (appended to ``parent``, or to the body)."""
        if parent is None:
            p = self._body_el.makeelement(_W_P, {})
            self._append(p)
        else:
            p = SubElement(parent, _W_P)
        if style is not None or num_id is not None:
            ppr = SubElement(p, _W_PPR)
            if style is not None:
                SubElement(ppr, _W_PSTYLE).set(_W_VAL, self._style_ids[style])
            if num_id is not None:
                num_pr = SubElement(ppr, _W_NUM_PR)
                SubElement(num_pr, _W_ILVL).set(_W_VAL, "0")
                SubElement(num_pr, _W_NUM_ID).set(_W_VAL, str(num_id))
        return p

    def _run(self, p, text: str, *, bold: bool = False, italic: bool = False) -> None:
        """Append a run of ``text`` (already redacted) to ``p``: "\n" breaks, "\t" tabs."""
        r = SubElement(p, _W_R)
        if bold or italic:
            rpr = SubElement(r, _W_RPR)
            if bold:
                SubElement(rpr, _W_B)
            if italic:
                SubElement(rpr, _W_I)
        for line_number, line in enumerate(text.split("\n")):
            if line_number:
                SubElement(r, _W_BR)
            for tab_number, part in enumerate(line.split("\t")):
                if tab_number:
                    SubElement(r, _W_TAB)
                if part:
                    t = SubElement(r, _W_T)
                    t.text = part
                    if part[0].isspace() or part[-1].isspace():
                        t.set(_XML_SPACE, "preserve")

    def heading(self, text: str, level: int = 1):
        """Add a heading paragraph ("Title" for level 0, else "Heading 1".."Heading 3")."""
        p = self._p("Title" if level == 0 else f"Heading {level}")
        self._run(p, self._text(text))
        return p

    def paragraph(self, text: str = "", *, style: str | None = None, bold: bool = False,
                  italic: bool = False):
        """Add a paragraph; line breaks in ``text`` become line breaks in Word."""
        p = self._p(style)
        if text:
            self._run(p, self._text(text), bold=bold, italic=italic)
        return p

    def paragraphs(self, text: str, *, empty: str = "") -> None:
        """Add one paragraph per line of ``text`` (or ``empty`` in italics if blank)."""
        lines = [line for line in (text or "").splitlines() if line.strip()]
        if not lines and empty:
            self.paragraph(empty, italic=True)
        for line in lines:
            self.paragraph(line)

    def label(self, label: str, value: str) -> None:
        """Add a "Label: value" paragraph with the label in bold."""
        p = self._p()
        self._run(p, f"{label}: ", bold=True)
        self._run(p, self._text(value))

    def numbered(self, items: Iterable[str], *, headings: Sequence[str] | None = None,
                 empty: str = "") -> int:
        """Add a numbered list restarting at 1; return how many items were written.

        Each list gets its own numbering instance of the "List Number" style's list, with a
        start override, so a document holding many lists numbers each one from 1.

        :param headings: Optional bold lead-in per item (a finding's heading).
        :param empty: Written in italics instead when there are no items.
        """
        items = list(items)
        if not items:
            if empty:
                self.paragraph(empty, italic=True)
            return 0
        num_id = self._new_list()
        count = 0
        for index, text in enumerate(items):
            p = self._p("List Number", num_id=num_id)
            heading = headings[index] if headings and index < len(headings) else ""
            if heading:
                self._run(p, self._text(heading) + ". ", bold=True)
            self._run(p, self._text(text))
            count += 1
        return count

    def bullets(self, items: Iterable[str]) -> int:
        """Add a bulleted list; return how many items were written."""
        count = 0
        for text in items:
            self.paragraph(text, style="List Bullet")
            count += 1
        return count

    def _new_list(self) -> int:
        numbering = self.doc.part.numbering_part.element
        num = SubElement(numbering, _W_NUM)
        num.set(_W_NUM_ID_ATTR, str(self._next_num_id))
        SubElement(num, _W_ABSTRACT_NUM_ID).set(_W_VAL, str(self._list_number_abstract))
        override = SubElement(num, _W_LVL_OVERRIDE)
        override.set(_W_ILVL_ATTR, "0")
        SubElement(override, _W_START_OVERRIDE).set(_W_VAL, "1")
        self._next_num_id += 1
        return self._next_num_id - 1

    # --- tables ------------------------------------------------------------------------
    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[str]],
        *,
        widths: Sequence[float] | None = None,
        rag_column: int | None = None,
    ):
        """Add a bordered table whose first row is a header row.

        The header row is bold and shaded, repeats at the top of each page the table runs
        onto, and is never split across pages.

        :param header: The column titles.
        :param rows: The cell texts, one sequence per row.
        :param widths: Column widths in centimetres (default: the page width shared out).
        :param rag_column: Index of a column holding "Red"/"Amber"/"Green": its cells are
            shaded to match (the word stays, so colour is never the only signal).
        """
        columns = len(header)
        if widths:
            twips = [int(width * _TWIPS_PER_CM) for width in widths][:columns]
            twips += [twips[-1]] * (columns - len(twips))
        else:
            twips = [int(Emu(self._block_width).twips / columns)] * columns
        tbl = self._body_el.makeelement(_W_TBL, {})
        self._append(tbl)
        tbl_pr = SubElement(tbl, _W_TBL_PR)
        SubElement(tbl_pr, _W_TBL_STYLE).set(_W_VAL, self._style_ids["Table Grid"])
        tbl_w = SubElement(tbl_pr, _W_TBL_W)
        tbl_w.set(_W_W, "0")
        tbl_w.set(_W_TYPE, "auto")
        SubElement(tbl_pr, _W_JC).set(_W_VAL, "center")
        look = SubElement(tbl_pr, _W_TBL_LOOK)
        look.set(_W_VAL, "04A0")
        look.set(_W_FIRST_ROW, "1")
        grid = SubElement(tbl, _W_TBL_GRID)
        for width in twips:
            SubElement(grid, _W_GRID_COL).set(_W_W, str(width))
        self._row(tbl, twips, header, header_row=True)
        for values in rows:
            values = list(values)[:columns]
            values += [""] * (columns - len(values))
            self._row(tbl, twips, values, rag_column=rag_column)
        self._p()  # Word needs a paragraph between two tables; it also spaces them.
        return Table(tbl, self.doc._body)

    def _row(self, tbl, twips: list[int], values: Sequence[str], *, header_row: bool = False,
             rag_column: int | None = None) -> None:
        tr = SubElement(tbl, _W_TR)
        if header_row:
            tr_pr = SubElement(tr, _W_TR_PR)
            SubElement(tr_pr, _W_CANT_SPLIT).set(_W_VAL, "true")
            SubElement(tr_pr, _W_TBL_HEADER).set(_W_VAL, "true")
        for index, (width, value) in enumerate(zip(twips, values, strict=False)):
            tc = SubElement(tr, _W_TC)
            tc_pr = SubElement(tc, _W_TC_PR)
            tc_w = SubElement(tc_pr, _W_TC_W)
            tc_w.set(_W_W, str(width))
            tc_w.set(_W_TYPE, "dxa")
            text = str(value) if value is not None else ""
            fill = _HEADER_FILL if header_row else (
                RAG_COLOURS.get(text.strip().lower()) if index == rag_column else None
            )
            if fill:
                shd = SubElement(tc_pr, _W_SHD)
                shd.set(_W_VAL, "clear")
                shd.set(_W_COLOR, "auto")
                shd.set(_W_FILL, fill)
            p = self._p(parent=tc)
            if text:
                self._run(p, text if header_row else self._text(text), bold=header_row)

    def fields(self, rows: Iterable[tuple[str, str]], *, header: tuple[str, str] = ("", "")):
        """Add a two-column "label | value" table (a form's boxes) with a header row."""
        title = header if any(header) else ("Item", "Details")
        return self.table(title, [(label, value or "") for label, value in rows],
                          widths=(5.5, 11.5))

    def checklist(self, options: Iterable[tuple[str, bool]], *,
                  header: tuple[str, str] = ("Criterion", "Met")):
        """Add a checklist table: each option with a ticked or empty box."""
        return self.table(header, [(text, "\u2612 Yes" if ticked else "\u2610")
                                   for text, ticked in options], widths=(14, 3))

    def page_break(self) -> None:
        p = self._p()
        SubElement(SubElement(p, _W_R), _W_BR).set(_W_TYPE, "page")

    # --- output ------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Return the finished document as .docx bytes."""
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


__all__ = [
    "DOCX_MEDIA_TYPE",
    "MARKING_PUBLIC",
    "MARKING_RESTRICTED",
    "NOT_SHOWN",
    "REDACTED",
    "DocumentBuilder",
    "Redactor",
    "actor_name",
    "agency_label",
    "criteria_options",
    "fmt_date",
    "person_rows",
    "personal_view",
    "override_text",
    "recommendation_label",
    "publication_redactor",
    "referral_people",
    "slug",
]
