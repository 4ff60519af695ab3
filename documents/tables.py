"""Read a table (CSV or XLSX) for an import: the one table reader of every import.

Every import of rows — actions into a plan, an audit's case population, anything later —
reads its file here and hands the services a :class:`lif.rows.Table` already checked:

-   **What the file is** is told by its content, and must match its name
    (:func:`documents.filetypes.sniff_media_type`): a ``.csv`` or an ``.xlsx``.
-   **Workbooks** pass the zip checks Word files get (:func:`documents.reader.check_zip`:
    entry count, encryption, real inflated sizes, ratio) before openpyxl opens them; the first
    sheet is read, values as last calculated.
-   **Text files** are UTF-8, with or without a byte order mark, and nothing else
    (:data:`documents.filetypes.NOT_UTF8_MESSAGE`). The delimiter is the one the header line
    uses most of comma, semicolon and tab (Excel writes ``;`` in some locales).
-   **The header** is the first row with anything in it. Its names are normalised (lower
    case, anything but letters and digits to ``_``: "Due date" → ``due_date``); a column
    named twice is refused, an unnamed column that holds something is ``column_N``.
-   **Rows**: empty rows are skipped; each row keeps the number a person sees in the
    spreadsheet. A row with more cells than the header names is refused, never cut. Text is
    stripped; what no stored text may hold (:func:`lif.values.text_problem`: control
    characters other than tab and line breaks, only invisible characters) is refused.
    Workbook numbers stay numbers (a whole number as an ``int``) and date cells dates (a
    datetime at midnight as a ``date``), for the services to read with
    :func:`lif.dates.read_date`.
-   At most :data:`MAX_ROWS` rows.

Every refusal is a :class:`~documents.errors.DocumentError` with one sentence a person can act
on, naming the row where there is one.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator

from openpyxl import load_workbook

from lif.rows import Cell, Row, Table
from lif.values import text_problem

from .errors import DocumentError
from .filetypes import CSV, XLSX, sniff_media_type
from .reader import check_zip

__all__ = ["MAX_ROWS", "Row", "Table", "column_key", "read_table"]

MAX_ROWS = 50_000
MAX_COLUMNS = 200

def column_key(name) -> str:
    """Normalise a column name: "Due date" and "due-date" are both ``due_date``."""
    text = "" if name is None else str(name)
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def read_table(filename: str, data: bytes) -> Table:
    """Read the rows of a CSV or XLSX file (see the module for every rule).

    :param filename: The name the file came with (its extension must match its content).
    :param data: The whole file; a door refuses a file over its limit before calling this.
    :raises DocumentError: not a CSV or XLSX file, damaged, hostile, not UTF-8, no header,
        no rows, too many rows, or a row the reader refuses.
    """
    media_type = sniff_media_type(data, filename or "")
    if media_type == CSV:
        values = _csv_rows(data)
    elif media_type == XLSX:
        check_zip(data, kind="xlsx")
        values = _xlsx_rows(data)
    else:
        raise DocumentError("Upload a .csv or .xlsx file.")
    return _table(values)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list]]:
    text = data.decode("utf-8-sig")  # sniff_media_type has checked it is UTF-8
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise DocumentError(f"The CSV file could not be read: {error}.") from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types on bad files
        raise DocumentError("The Excel file could not be read; it may be damaged.") from error
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    except DocumentError:
        raise
    except Exception as error:  # noqa: BLE001 - as above
        raise DocumentError("The Excel file could not be read; it may be damaged.") from error
    finally:
        workbook.close()


def _cell(value, number: int, column: str) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    if problem := text_problem(text):  # (lif/values.py: the rule of every door)
        raise DocumentError(f"Row {number}, column {column}: {problem}")
    return text


def _blank(row: list) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in row)


def _table(values: Iterable[tuple[int, list]]) -> Table:
    rows = iter(values)
    header_row, header = next(((n, row) for n, row in rows if not _blank(row)), (0, None))
    if header is None:
        raise DocumentError("The file is empty.")
    while header and header[-1] in (None, ""):
        header = header[:-1]  # a workbook pads its rows to the widest
    if len(header) > MAX_COLUMNS:
        raise DocumentError(f"Row {header_row} names more than {MAX_COLUMNS} columns.")
    headers = ["" if name is None else str(name).strip() for name in header]
    columns = [column_key(name) or f"column_{i + 1}" for i, name in enumerate(headers)]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise DocumentError(
            f"Row {header_row} names the column {', '.join(repeated)} more than once.")
    table = Table(columns=columns, headers=headers, header_row=header_row)
    for number, raw in rows:
        if _blank(raw):
            continue
        extra = raw[len(columns):]
        if not _blank(extra):
            raise DocumentError(
                f"Row {number} has more cells than row {header_row} names columns "
                f"({len(columns)}); name every column, or check for a separator inside a "
                "value that is not in quotes.")
        if len(table.rows) == MAX_ROWS:
            raise DocumentError(f"The file has more than {MAX_ROWS:,} rows; split it.")
        cells = {column: _cell(raw[i] if i < len(raw) else None, number, column)
                 for i, column in enumerate(columns)}
        table.rows.append(Row(number, cells))
    if not table.rows:
        raise DocumentError("The file names its columns but has no rows under them.")
    return table
