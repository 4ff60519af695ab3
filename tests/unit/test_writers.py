"""Word structure of generated documents, the redactor, and reading an index back (no database).

The items here are unsaved model objects: the writers' building blocks and the index reader
need no database. Documents generated from live data are in
``tests/integration/test_documents.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from documents.errors import DocumentError
from documents.index_import import NO_ENTRIES, classify_type, parse_date_text, parse_index
from documents.writers import KINDS, WRITERS, kinds_for
from documents.writers.common import DocumentBuilder, Redactor
from documents.writers.index import date_text, write_entry
from lif.actors import SYSTEM
from lif.models import Activity, Audit, Finding, Person, Review

DATA = Path(__file__).resolve().parent.parent / "data"


def reopen(data: bytes):
    return docx.Document(io.BytesIO(data))


def numbered_paragraphs(document) -> list:
    return [p for p in document.paragraphs
            if p.style.name == "List Number" and p._p.pPr is not None
            and p._p.pPr.numPr is not None]


# --- the building blocks ------------------------------------------------------------------

def test_builder_sets_properties_headings_footer_field_and_header_rows():
    b = DocumentBuilder("A title", SYSTEM, subject="Subject", keywords="k")
    b.heading("Section", 1)
    b.heading("Sub", 2)
    b.table(("Col A", "Col B"), [("1", "2"), ("3", "4")])
    document = reopen(b.to_bytes())

    props = document.core_properties
    assert props.title == "A title"
    assert props.author == "LIF (system)"
    assert props.subject == "Subject"
    assert props.created is not None and props.created.year >= 2025
    styles = [p.style.name for p in document.paragraphs if p.text]
    assert styles[:3] == ["Title", "Heading 1", "Heading 2"]
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Col A", "Col B"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    footer_xml = document.sections[0].footer._element.xml
    assert 'w:instr=" PAGE' in footer_xml and "NUMPAGES" in footer_xml


def test_each_numbered_list_restarts_at_one():
    b = DocumentBuilder("Lists", SYSTEM)
    b.numbered(["a", "b"])
    b.numbered(["c"])
    document = reopen(b.to_bytes())
    items = numbered_paragraphs(document)
    num_ids = [p._p.pPr.numPr.numId.val for p in items]
    assert [p.text for p in items] == ["a", "b", "c"]
    assert num_ids[0] == num_ids[1] != num_ids[2]
    numbering = document.part.numbering_part.element
    for num_id in set(num_ids):
        num = numbering.num_having_numId(num_id)
        start = num.find(qn("w:lvlOverride")).find(qn("w:startOverride"))
        assert start.get(qn("w:val")) == "1"


def test_redactor_removes_names_and_dates_in_the_usual_forms():
    redact = Redactor([Person(name="Zebedee  Quartermaine", date_of_birth=dt.date(2015, 2, 4))])
    text = ("zebedee quartermaine, born 2015-02-04 (04/02/2015, 4/2/2015, 4 February 2015, "
            "04.02.2015, 4 Feb 2015); ref 2015-02-045 and 14/02/2015 stay.")
    cleaned = redact(text)
    assert "Quartermaine" not in cleaned and "quartermaine" not in cleaned
    for form in ("2015-02-04 ", "04/02/2015", "4/2/2015", "4 February 2015", "04.02.2015",
                 "4 Feb 2015"):
        assert form not in cleaned
    assert "2015-02-045" in cleaned and "14/02/2015" in cleaned
    assert not Redactor() and Redactor()("x") == "x"


def test_registry_lists_every_kind_with_a_writer():
    assert set(KINDS) == set(WRITERS)
    assert {"index", "plan", "pdc-pack", "cigscr1", "ciginf1", "cigm1", "cigsum1", "brief",
            "lscb-report"} <= set(KINDS)
    assert {k.key for k in kinds_for("referral")} == {"cigscr1", "cigsum1"}
    assert {"index", "brief", "plan", "lscb-report"} <= {k.key for k in KINDS.values()
                                                         if k.publishable}
    # Only the three CIEC forms and the rapid review summary (Working Together 2023) may ever
    # carry personal data, and none is publishable.
    assert {k.key for k in KINDS.values() if k.restricted} == {"cigscr1", "ciginf1", "cigsum1",
                                                               "rapid-review"}
    assert not any(k.restricted and k.publishable for k in KINDS.values())


# --- dates and types ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "date", "label"), [
    ("Report to LSCB NOVEMBER 2016", dt.date(2016, 11, 1), "Report to LSCB NOVEMBER 2016"),
    ("Report Completed July  2016", dt.date(2016, 7, 1), "Report Completed July 2016"),
    ("Findings to LSCB June 2014", dt.date(2014, 6, 1), "Findings to LSCB June 2014"),
    ("March 2014", dt.date(2014, 3, 1), "March 2014"),
    ("Sept 2015", dt.date(2015, 9, 1), "Sept 2015"),
    ("2015/16", dt.date(2016, 3, 31), "2015/16"),
    ("15 June 2016", dt.date(2016, 6, 15), ""),
    ("2016-06-15", dt.date(2016, 6, 15), ""),
    ("Report to LSCB June 2016 (15 June 2016)", dt.date(2016, 6, 15), "Report to LSCB June 2016"),
    ("Session 07.11.2014", dt.date(2014, 11, 7), "Session 07.11.2014"),
    ("", None, ""),
    ("soon", None, "soon"),
])
def test_dates_are_read_to_the_first_of_the_month_keeping_the_label(text, date, label):
    assert parse_date_text(text) == (date, label)


@pytest.mark.parametrize(("text", "expected"), [
    ("Audit", ("audit", "multi_agency_audit", "multi_agency")),
    ("Thematic audit", ("audit", "multi_agency_audit", "thematic")),
    ("Single agency audit", ("audit", "single_agency_audit", "single_agency")),
    ("Section 11 self-assessment", ("audit", "section_11", "section_11")),
    ("Serious Case Review", ("review", "scr", "")),
    ("Serious Case Review (Lancashire SCB*", ("review", "scr", "")),
    ("Critical Case Review", ("review", "critical_case_review", "")),
    ("Multi Agency Thematic Review", ("review", "multi_agency_thematic", "")),
    ("Thematic Review", ("review", "thematic_review", "")),
    ("Ofsted", ("review", "ofsted_inspection", "")),
    ("CDOP", ("review", "cdop_learning", "")),
    ("Domestic Homicide Reviews (DHRs)", ("review", "domestic_homicide_review", "")),
    ("Something new", ("review", "other", "")),
])
def test_type_of_review_maps_to_the_taxonomy(text, expected):
    assert classify_type(text) == expected


def test_an_empty_type_follows_the_section():
    assert classify_type("", "cdop")[1] == "cdop_learning"
    assert classify_type("", "audit")[0] == "audit"


# --- reading an index back ----------------------------------------------------------------

def _review(**extra) -> Review:
    data = {"title": "LSCR 1402 (Child known as Mary)", "review_type": "scr",
            "reference": "LSCR 1402", "date": dt.date(2014, 6, 1),
            "date_label": "Findings to LSCB June 2014", "section": "reviews",
            "overview": "Line one.\nLine two.", "themes": ["sudi", "neglect"],
            "agencies": ["lscb", "csc"],
            "findings": [Finding(number=1, text="First finding."),
                         Finding(number=2, text="Second, over\ntwo lines.")],
            "activities": [Activity(text="Learning session.")]}
    data.update(extra)
    return Review(**data)


def test_lif_layout_reads_back_exactly():
    review = _review()
    audit = Audit(title="LSCB Neglect Audit", audit_type="thematic", section="audit",
                  date=dt.date(2015, 9, 15), date_label="Report to LSCB September 2015",
                  methodology="Ten cases.", findings=[Finding(number=1, text="Engagement.")],
                  activities=[Activity(text="Referred to PDC.")])
    b = DocumentBuilder("Learning and Improvement Index", SYSTEM)
    b.heading("Learning from Audit", 1)
    write_entry(b, audit, {})
    b.heading("Learning from Reviews (including Serious Case Reviews)", 1)
    write_entry(b, review, {"lscb": "Liverpool Safeguarding Children Board (LSCB)",
                            "csc": "Liverpool Children's Social Care (Careline)"})
    data = b.to_bytes()
    assert len(numbered_paragraphs(reopen(data))) == 3

    first, second = parse_index(data)
    assert first["kind"] == "audit" and first["audit_type"] == "thematic"
    assert first["date"] == "2015-09-15"  # the label is vaguer: the exact date is kept
    assert first["date_label"] == "Report to LSCB September 2015"
    assert first["overview"] == "Ten cases."
    assert second == {
        "kind": "review", "section": "reviews", "review_type": "scr", "audit_type": "",
        "name": "LSCR 1402 (Child known as Mary)", "reference": "LSCR 1402",
        "date": "2014-06-01", "date_label": "Findings to LSCB June 2014",
        "overview": "Line one.\nLine two.",
        "findings": ["First finding.", "Second, over\ntwo lines."],
        "activities": ["Learning session."], "themes": ["sudi", "neglect"],
        "agencies": ["lscb", "csc"], "independent_reviewer": "",
    }


def test_date_text_adds_the_exact_date_only_when_needed():
    assert date_text(_review()) == "Findings to LSCB June 2014"
    later = _review(date=dt.date(2014, 6, 9))
    assert date_text(later) == "Findings to LSCB June 2014 (9 June 2014)"
    assert date_text(_review(date_label="")) == "1 June 2014"


def source_layout_document() -> bytes:
    """A document laid out like the framework's Appendix One, entries in tables."""
    d = docx.Document()
    d.add_paragraph("Appendix One - Learning and Improvement Index")
    d.add_paragraph("Learning from Audit")
    t = d.add_table(rows=5, cols=2)
    t.cell(0, 0).text = "Type of Review: Audit"
    t.cell(0, 1).text = "Name: LSCB Neglect Audit"
    t.cell(1, 0).text = "Date: Report to LSCB September 2015"
    t.cell(2, 0).text = "Case Overview / Methodology:"
    t.cell(2, 1).text = "The audit comprised two sections.\nTen cases were chosen."
    t.cell(3, 0).text = ("Summary of Findings / Learning:\n1. There was limited engagement.\n"
                         "2. New workers did not read the chronology.\nIt resulted in gaps.")
    t.cell(4, 0).text = "Improvement Activity:\n\u2022 Audit referred to the PDC"
    d.add_paragraph("Learning from Reviews (including Serious Case Reviews)")
    blank = d.add_table(rows=2, cols=2)
    blank.cell(0, 0).text = "Type of Review:  Name:  "
    blank.cell(1, 0).text = "Date:"
    t = d.add_table(rows=6, cols=2)
    t.cell(0, 0).text = "Type of Review:"
    t.cell(0, 1).text = "Serious Case Review"
    t.cell(1, 0).text = "Name:"
    t.cell(1, 1).text = "Child A (Alex)"
    t.cell(2, 0).text = "Date:"
    t.cell(2, 1).text = "Report Completed July 2016"
    t.cell(3, 0).text = "Case Overview / Methodology:"
    t.cell(4, 0).text = "Summary of Findings / Learning:"
    t.cell(4, 1).text = "1. Bruising in non-mobile babies.\n2. Check parental understanding."
    t.cell(5, 0).text = "Improvement Activity:"
    t.cell(5, 1).text = "Practice guidance developed.\nSCR newsletter disseminated."
    d.add_paragraph("Learning from Merseyside CDOP")
    d.add_paragraph("Review / Activity:  Source: Merseyside CDOP")
    d.add_paragraph("Date / Period Covered: 2015/16")
    d.add_paragraph("Summary of Findings/ Learning:")
    d.add_paragraph("Infant mortality is an area of concern.")
    d.add_paragraph("Improvement Activity:")
    d.add_paragraph("Safer sleeping sessions delivered 2015/16")
    buffer = io.BytesIO()
    d.save(buffer)
    return buffer.getvalue()


def test_source_layout_with_entries_in_tables():
    audit, scr, cdop = parse_index(source_layout_document())
    assert (audit["kind"], audit["section"], audit["name"]) == ("audit", "audit",
                                                               "LSCB Neglect Audit")
    assert audit["date"] == "2015-09-01"
    assert audit["overview"] == "The audit comprised two sections.\nTen cases were chosen."
    assert audit["findings"] == ["There was limited engagement.",
                                 "New workers did not read the chronology.\nIt resulted in gaps."]
    assert audit["activities"] == ["Audit referred to the PDC"]
    assert "neglect" in audit["themes"]
    assert (scr["review_type"], scr["name"], scr["date"]) == ("scr", "Child A (Alex)",
                                                            "2016-07-01")
    assert scr["findings"] == ["Bruising in non-mobile babies.", "Check parental understanding."]
    assert scr["activities"] == ["Practice guidance developed.", "SCR newsletter disseminated."]
    assert (cdop["section"], cdop["review_type"], cdop["name"]) == ("cdop", "cdop_learning",
                                                                  "Merseyside CDOP")
    assert (cdop["date"], cdop["date_label"]) == ("2016-03-31", "2015/16")
    assert cdop["findings"] == ["Infant mortality is an area of concern."]


# --- hostile and empty files --------------------------------------------------------------

@pytest.mark.parametrize("name", ["truncated.docx", "zipbomb.docx", "not_word.docx",
                                  "empty.docx", "encrypted.docx", "pdf_named.docx"])
def test_hostile_files_fail_with_one_clear_message(name):
    with pytest.raises(DocumentError) as caught:
        parse_index((DATA / name).read_bytes())
    message = str(caught.value)
    assert message and "\n" not in message and message.endswith(".")


@pytest.mark.parametrize("name", ["big_table.docx", "unicode.docx", "good.docx"])
def test_documents_without_entries_say_so(name):
    with pytest.raises(DocumentError, match="No Learning and Improvement Index entries"):
        parse_index((DATA / name).read_bytes())
    assert NO_ENTRIES.endswith("found in the document.")


def test_every_script_survives_a_round_trip():
    name = "Ça va — Привет 你好 مرحبا 😀 review"
    b = DocumentBuilder("Index", SYSTEM)
    write_entry(b, _review(title=name, findings=[Finding(number=1, text="Καλημέρα 👩‍💻")]), {})
    (entry,) = parse_index(b.to_bytes())
    assert entry["name"] == name and entry["findings"] == ["Καλημέρα 👩‍💻"]


def test_xml_of_a_document_is_well_formed_zip():
    data = DocumentBuilder("Zip", SYSTEM).to_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "word/document.xml" in zf.namelist() and zf.testzip() is None


def test_the_index_vocabulary_names_only_what_the_taxonomy_knows():
    from config import index_vocabulary as vocabulary
    from config import taxonomy

    review_types = {t["key"] for t in taxonomy.REVIEW_TYPES}
    sections = {key for key, _ in taxonomy.LEARNING_SECTIONS}
    assert {key for _, key in vocabulary.REVIEW_TYPE_WORDS} <= review_types
    assert set(vocabulary.SECTION_DEFAULT_TYPE) <= sections
    assert set(vocabulary.SECTION_DEFAULT_TYPE.values()) <= review_types
    assert set(vocabulary.TYPE_SECTION) <= review_types
    assert set(vocabulary.TYPE_SECTION.values()) <= sections
    assert set(vocabulary.SECTION_HEADINGS.values()) <= sections
    assert set(vocabulary.THEME_WORDS) <= {key for key, _ in taxonomy.THEMES}
    assert set(vocabulary.AGENCY_WORDS) <= {a["key"] for a in taxonomy.AGENCIES}
