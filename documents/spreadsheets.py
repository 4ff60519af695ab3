"""Write a table to an XLSX workbook (openpyxl): list exports for people who use Excel."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lif.values import printable

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel runs a cell starting with these as a formula: write such text as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """A cell value that a spreadsheet will show as written, never run as a formula.

    Characters a workbook cannot hold (a control character stored before LIF refused them:
    openpyxl raises, and the export answered 500 for everyone) are left out.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | int | float):
        return value
    text = printable(str(value))
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def xlsx(header: list[str], rows: list[list], *, title: str = "Export") -> bytes:
    """Return an XLSX workbook with a bold header row, frozen, and sensible column widths."""
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = (title or "Export")[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in header]
    for row in rows:
        values = [safe_text(v) for v in row]
        sheet.append(values)
        for i, value in enumerate(values):
            widths[i] = min(max(widths[i], len(str(value))), 60)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width + 2
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
