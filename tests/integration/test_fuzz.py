"""Fuzzing with hypothesis: the Word reader, the CSV/XLSX import, the search parser, the API.

Each entry point gets a bounded number of generated inputs (the whole file runs in well under
a minute). The contract is the same everywhere: a bad input gets our one error type (or a 4xx),
never an uncaught exception or a 500, and a refused input stores nothing. The number of inputs
tried per entry point is printed at the end of the session.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from documents.errors import DocumentError
from documents.index_import import parse_index
from documents.reader import extract_text
from documents.tables import read_table
from documents.uploads import check_upload
from lif.actors import SYSTEM
from lif.errors import LIFError
from lif.models import Action, Finding
from lif.search import SearchQueryError, SearchUnavailable
from lif.services import plans, searching, users

from .. import factories as f
from ..conftest import make_user

GOOD_DOCX = (Path(__file__).resolve().parents[1] / "data" / "good.docx").read_bytes()
TRIED: Counter = Counter()


# FUZZ_SCALE=20 runs twenty times the inputs, for a longer hunt than CI's.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(examples: int):
    """Hypothesis settings for one entry point: bounded, no deadline, no example database."""
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


class _InputsReport:
    """A plugin printing the counts in pytest's terminal summary (after the captured part)."""

    def pytest_terminal_summary(self, terminalreporter):
        if TRIED:
            terminalreporter.write_line("hypothesis inputs tried: " + ", ".join(
                f"{name} {count}" for name, count in sorted(TRIED.items())))


@pytest.fixture(scope="session", autouse=True)
def inputs_report(request):
    """The session's counter of inputs per entry point, reported at the end."""
    plugin = _InputsReport()
    request.config.pluginmanager.register(plugin, "lif-fuzz-inputs")
    return TRIED


# --- the Word reader ---------------------------------------------------------------------------


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


GOOD_MEMBERS = _members(GOOD_DOCX)
XML_SNIPPETS = [b"<w:p>", b"</w:p>", b"<w:tbl>", b"<w:tc>", b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
                b"&a;", b"\x00", b"\xff\xfe", b"<w:t>x</w:t>", b"]]>", b"<?xml?>", b"'\"<>&"]

byte_edits = st.lists(st.tuples(st.integers(0, len(GOOD_DOCX) - 1), st.integers(0, 255)),
                      min_size=1, max_size=12)


@st.composite
def mutated_bytes(draw) -> bytes:
    """good.docx with bytes overwritten, then perhaps cut short or grown."""
    data = bytearray(GOOD_DOCX)
    for position, value in draw(byte_edits):
        data[position] = value
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    if cut is not None:
        data = data[:cut]
    data += draw(st.binary(max_size=64))
    return bytes(data)


@st.composite
def mutated_members(draw) -> bytes:
    """good.docx re-zipped with one part damaged: its XML cut, spliced or overwritten."""
    members = dict(GOOD_MEMBERS)
    name = draw(st.sampled_from(sorted(members)))
    body = bytearray(members[name])
    action = draw(st.sampled_from(["cut", "insert", "flip", "drop", "replace"]))
    if action == "cut":
        body = body[:draw(st.integers(0, len(body)))]
    elif action == "insert":
        at = draw(st.integers(0, len(body)))
        piece = draw(st.one_of(st.sampled_from(XML_SNIPPETS), st.binary(max_size=40)))
        body[at:at] = piece
    elif action == "flip" and body:
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(body) - 1))
            body[at] = draw(st.integers(0, 255))
    elif action == "drop":
        members.pop(name)
    else:
        body = bytearray(draw(st.binary(max_size=200)))
    if name in members:
        members[name] = bytes(body)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return buffer.getvalue()


def _read_word(data: bytes, entry: str) -> None:
    TRIED[entry] += 1
    for reader in (extract_text, parse_index, lambda d: check_upload("fuzz.docx", d)):
        try:
            reader(data)
        except DocumentError:
            pass


def test_word_reader_mutated_bytes_raise_only_document_error():
    @fuzz(120)
    @given(mutated_bytes())
    def run(data):
        _read_word(data, "word reader (bytes)")

    run()


def test_word_reader_damaged_parts_raise_only_document_error():
    @fuzz(100)
    @given(mutated_members())
    def run(data):
        _read_word(data, "word reader (zip parts)")

    run()


# --- the CSV/XLSX import -----------------------------------------------------------------------

COLUMNS = list(plans.IMPORT_COLUMNS)
cell_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["police", "Health", "", "2030-01-01", "2030-13-45", "31/12/2030",
                     "lead@example.org", "not an email", "=1+2", "@x", "\x00", "\ufeff",
                     "a" * 400, "None", "1e309", "-1"]),
)
headers = st.one_of(
    st.just(COLUMNS),
    st.lists(st.one_of(st.sampled_from(COLUMNS + ["Title", "Due Date", "lead-email", ""]),
                       st.text(max_size=12)), min_size=1, max_size=8),
)


@st.composite
def table_rows(draw) -> tuple[list, list[list]]:
    header = draw(headers)
    rows = draw(st.lists(st.lists(cell_text, min_size=0, max_size=len(header) + 2),
                         min_size=0, max_size=5))
    return header, rows


def as_csv(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


def as_xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:  # (what Excel cannot hold, openpyxl refuses to write)
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
                      for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import(plan, name: str, data: bytes, entry: str) -> None:
    TRIED[entry] += 1
    before = Action.objects(plan=plan).count()
    try:
        rows = read_table(name, data)
    except DocumentError:
        assert Action.objects(plan=plan).count() == before
        return
    try:
        report = plans.import_actions(plan, rows, SYSTEM, dry_run=False)
    except LIFError:
        # All or nothing: a refused file leaves no action behind.
        assert Action.objects(plan=plan).count() == before
        return
    assert Action.objects(plan=plan).count() == before + sum(
        1 for row in report if row["outcome"] == "created")


@pytest.fixture
def import_plan(clean_db):
    return f.make_plan(title="Fuzz plan")


def test_csv_import_is_all_or_nothing(import_plan):
    @fuzz(120)
    @given(table_rows(), st.sampled_from(["utf-8", "latin-1", "raw"]))
    def run(table, encoding):
        header, rows = table
        data = as_csv(header, rows)
        if encoding == "latin-1":
            data = data.decode("utf-8", "replace").encode("latin-1", "replace")
        _import(import_plan, "actions.csv", data, "csv import")

    run()


def test_csv_import_of_arbitrary_bytes_is_refused_cleanly(import_plan):
    @fuzz(80)
    @given(st.binary(max_size=300), st.sampled_from(["a.csv", "a.xlsx", "a.docx", "a"]))
    def run(data, name):
        _import(import_plan, name, data, "table import (bytes)")

    run()


def test_xlsx_import_is_all_or_nothing(import_plan):
    @fuzz(40)
    @given(table_rows(), st.one_of(st.none(), st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=6)))
    def run(table, damage):
        data = bytearray(as_xlsx(*table))
        for position, value in damage or []:
            if position < len(data):
                data[position] = value
        _import(import_plan, "actions.xlsx", bytes(data), "xlsx import")

    run()


# --- the search query parser -------------------------------------------------------------------

QUERY_WORDS = ["neglect", "child*", "AND", "OR", "NOT", "(", ")", '"', "title:", "body:",
               "type:action", "principals:", "*", "?", "~", "~2", "^3", "[a TO z]", "{", "}",
               "date:2014", "date:[2010 TO 2020]", "themes:neglect", "\\", ":", "-", "+",
               "''", "ANDNOT", "AND NOT", "<", ">=", "/", "'", "%", "\x00", "\u200b", "é"]
queries = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(st.sampled_from(QUERY_WORDS), st.text(max_size=8)),
             max_size=12).map(" ".join),
    st.lists(st.sampled_from(QUERY_WORDS), max_size=20).map("".join),
)


def test_search_raises_only_its_own_errors(clean_db):
    review = f.make_review(title="Neglect in the child's time",
                           findings=[Finding(text="Neglect was missed.")])
    f.make_action(plan=f.make_plan(review=review), title="Neglect training")
    searching.reindex()  # this test's items only, whatever earlier tests indexed
    people = [SYSTEM, make_user("lead", "police"), make_user("viewer")]

    @fuzz(250)
    @given(queries, st.sampled_from(range(len(people))), st.sampled_from(["relevance", "date"]))
    def run(q, who, sort):
        TRIED["search parser"] += 1
        try:
            results = searching.search(people[who], q, sort=sort)
        except (SearchQueryError, SearchUnavailable):
            return
        assert results.total >= 0

    run()


# --- the API payloads ---------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
              st.text(max_size=20),
              st.sampled_from(["", " ", "police", "health", "in_progress", "complete",
                               "verified", "cancelled", "not_started", "2030-01-01",
                               "2030-02-30", "lead@example.org", "$ne", "a" * 20000])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
PATCH_FIELDS = ["version", "status", "comment", "title", "description", "lead_name",
                "lead_email", "agency", "due_date", "$set", "plan", "state", "id"]


@st.composite
def patch_bodies(draw, version_of):
    body = draw(st.dictionaries(st.sampled_from(PATCH_FIELDS), json_values, max_size=5))
    if draw(st.booleans()):
        body["version"] = version_of()  # often based on the current version: it may pass
    return body


def test_api_payloads_never_500_and_failures_change_nothing(client, clean_db):
    lead = make_user("lead", "police")
    token = users.create_token(lead.email, "fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    action = f.make_action(agency="police", title="Fuzzed action")
    raw = Action._get_collection()

    def current():
        return raw.find_one({"_id": action.pk})

    def send(method, url, body, as_text):
        if as_text is not None:
            return client.open(url, method=method, data=as_text, headers=headers,
                               content_type="application/json")
        return client.open(url, method=method, json=body, headers=headers)

    def check(entry, method, url, body, as_text=None):
        TRIED[entry] += 1
        before = current()
        response = send(method, url, body, as_text)
        assert response.status_code < 500, (entry, body, as_text, response.get_data())
        assert response.is_json, (entry, response.status_code)
        if response.status_code >= 400:
            assert current() == before, (entry, body, response.get_json())
        else:
            assert current()["version"] >= before["version"], (entry, body)

    @fuzz(100)
    @given(patch_bodies(lambda: current()["version"]))
    def run_patch(body):
        check("api PATCH action", "PATCH", f"/api/v1/actions/{action.pk}", body)

    @fuzz(60)
    @given(st.one_of(
        st.dictionaries(st.sampled_from(["text", "Text", "$push", "progress"]), json_values,
                        max_size=3),
        json_values))
    def run_progress(body):
        check("api POST progress", "POST", f"/api/v1/actions/{action.pk}/progress", body)

    @fuzz(40)
    @given(st.one_of(st.text(max_size=60), st.binary(max_size=60).map(
        lambda b: b.decode("latin-1")), st.sampled_from(
        ['{"text": "a"', '{"text": "\\ud800"}', '[]', 'null', '{"text": 1e999}',
         '{"text": "x", "text": {"$ne": null}}', "[" * 100_000 + "]" * 100_000,
         '{"text": ' * 50_000 + '"x"' + "}" * 50_000])))
    def run_raw(text):
        check("api raw JSON", "POST", f"/api/v1/actions/{action.pk}/progress", None, text)
        check("api raw JSON", "PATCH", f"/api/v1/actions/{action.pk}", None, text)

    run_patch()
    run_progress()
    run_raw()
