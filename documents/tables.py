"""Read a table (CSV or XLSX) into rows of ``{column: value}`` for an import.

Headers are normalised (lower case, spaces and dashes to underscores). XLSX files pass the
same zip checks as Word files before openpyxl opens them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from .errors import DocumentError
from .filetypes import CSV, XLSX, sniff_media_type
from .reader import check_zip

MAX_ROWS = 50_000


def _header(value) -> str:
    return str(value or "").strip().lower().replace(" ", "_").replace("-", "_")


def _cell(value):
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


def read_table(filename: str, data: bytes) -> list[dict]:
    """Return the data rows of a CSV or XLSX file, keyed by normalised header.

    :raises DocumentError: not a CSV/XLSX file, no header row, too many rows, damaged file.
    """
    media_type = sniff_media_type(data, filename)
    if media_type == CSV:
        rows = _read_csv(data)
    elif media_type == XLSX:
        rows = _read_xlsx(data)
    else:
        raise DocumentError("Upload a .csv or .xlsx file.")
    if not rows:
        raise DocumentError("The file has a header row but no data rows.")
    return rows


def _read_csv(data: bytes) -> list[dict]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError("The CSV file is not UTF-8 text.") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [_header(h) for h in next(reader)]
    except StopIteration:
        raise DocumentError("The file is empty.") from None
    except csv.Error as error:
        raise DocumentError(f"The CSV file could not be read: {error}.") from None
    return _rows(header, reader)


def _read_xlsx(data: bytes) -> list[dict]:
    check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = [_header(h) for h in next(values)]
        rows = _rows(header, values)
        workbook.close()
    except StopIteration:
        raise DocumentError("The workbook's first sheet is empty.") from None
    except DocumentError:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types on bad files
        raise DocumentError("The Excel file could not be read; it may be damaged.") from error
    return rows


def _rows(header: list[str], values) -> list[dict]:
    if not any(header):
        raise DocumentError("The first row must name the columns.")
    rows = []
    try:
        for raw in values:
            if raw is None or all(v in (None, "") for v in raw):
                continue
            rows.append({h: _cell(v) for h, v in zip(header, raw, strict=False) if h})
            if len(rows) > MAX_ROWS:
                raise DocumentError(f"The file has more than {MAX_ROWS} rows.")
    except csv.Error as error:
        raise DocumentError(f"The CSV file could not be read: {error}.") from None
    return rows
