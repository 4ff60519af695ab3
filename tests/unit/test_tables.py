"""The one table reader: what every CSV/XLSX import receives, and what it refuses."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from documents import tables
from documents.errors import DocumentError
from documents.tables import read_table


def xlsx(*rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_columns_are_normalised_and_rows_keep_their_spreadsheet_numbers():
    table = read_table("a.csv", b"\n\nCase reference, Due-date ,Lead email\n"
                                b"A1,2025-01-31,a@example.org\n\n,,\nA2,,\n")
    assert table.header_row == 3
    assert table.columns == ["case_reference", "due_date", "lead_email"]
    assert table.headers == ["Case reference", "Due-date", "Lead email"]
    assert [row.number for row in table] == [4, 7]
    assert table.rows[0].values == {"case_reference": "A1", "due_date": "2025-01-31",
                                    "lead_email": "a@example.org"}
    assert table.rows[1].text("due_date") == "" and table.rows[1].date("due_date") is None


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_the_separator_is_the_one_the_header_uses(separator):
    value = "A" + "".join(c + " " for c in ",;\t" if c != separator) + "B"
    data = separator.join(["title", "agency"]) + "\n" + separator.join([value, "police"])
    table = read_table("a.csv", data.encode())
    assert table.rows[0].values == {"title": value, "agency": "police"}


def test_a_quoted_value_may_hold_the_separator_and_line_breaks():
    table = read_table("a.csv", b'title,description\n"A, B","line 1\nline 2"\nC,d\n')
    assert table.rows[0].values == {"title": "A, B", "description": "line 1\nline 2"}
    assert [row.number for row in table] == [2, 3]


def test_utf8_with_a_byte_order_mark_is_read():
    table = read_table("a.csv", "name\nSiân O’Brien\n".encode("utf-8-sig"))
    assert table.columns == ["name"] and table.rows[0].text("name") == "Siân O’Brien"


@pytest.mark.parametrize(("data", "message"), [
    ("name\nSiân\n".encode("cp1252"), "not UTF-8 text"),
    ("name\nSiân\n".encode("utf-16"), "not UTF-8 text"),
    (b"", "The file is empty."),
    (b"\n ,\n", "The file is empty."),
    (b"title,agency\n", "has no rows"),
    (b"title,Title\nA,B\n", "names the column title more than once"),
    (b"title,agency\nA,police,stray\n", "Row 2 has more cells than row 1 names columns"),
    (b"title\nA\x01B\n", "Row 2, column title: Contains a character that cannot be stored"),
])
def test_what_the_reader_refuses(data, message):
    with pytest.raises(DocumentError, match=message):
        read_table("a.csv", data)


def test_trailing_empty_cells_are_not_extra_cells():
    table = read_table("a.csv", b"title,agency\nA,police,,\n")
    assert table.rows[0].values == {"title": "A", "agency": "police"}


def test_a_column_without_a_name_is_kept_by_its_position():
    table = read_table("a.csv", b"title,,agency\nA,note,police\n")
    assert table.columns == ["title", "column_2", "agency"]


def test_workbook_numbers_and_dates_stay_numbers_and_dates():
    table = read_table("a.xlsx", xlsx(
        ["Case ref", "Referred", "Seen", "Serial", "Score", "Flag", None],
        [1001, dt.datetime(2016, 1, 4), dt.datetime(2016, 1, 4, 9, 30), 42373, 2.5, True],
    ))
    assert table.columns == ["case_ref", "referred", "seen", "serial", "score", "flag"]
    row = table.rows[0]
    assert row.values == {"case_ref": 1001, "referred": dt.date(2016, 1, 4),
                          "seen": dt.datetime(2016, 1, 4, 9, 30), "serial": 42373,
                          "score": 2.5, "flag": "TRUE"}
    assert row.text("case_ref") == "1001" and row.text("referred") == "2016-01-04"
    assert row.date("serial") == row.date("referred") == row.date("seen") == dt.date(2016, 1, 4)


def test_a_workbook_gets_the_zip_checks(monkeypatch):
    data = xlsx(["title"], ["A"])
    monkeypatch.setattr(tables, "check_zip", lambda data, **kw: (_ for _ in ()).throw(
        DocumentError("checked")))
    with pytest.raises(DocumentError, match="checked"):
        read_table("a.xlsx", data)


def test_a_file_whose_name_does_not_match_its_content_is_refused():
    with pytest.raises(DocumentError, match="named .xlsx but it is actually a text"):
        read_table("a.xlsx", b"title\nA\n")
    with pytest.raises(DocumentError, match="Files of type .xls are not accepted"):
        read_table("a.xls", b"title\nA\n")


def test_at_most_max_rows(monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    assert len(read_table("a.csv", b"t\n1\n2\n3\n")) == 3
    with pytest.raises(DocumentError, match="more than 3 rows"):
        read_table("a.csv", b"t\n1\n2\n3\n4\n")
