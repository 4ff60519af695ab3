"""The rows of a table a person imported, as the services receive them.

:func:`documents.tables.read_table` reads a CSV or XLSX file into a :class:`Table` (checked:
its type, encoding, zip, header and row count); the import services (actions into a plan, an
audit's population) take the table and read each cell as text or as a date, here, the same way
for every import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import dates

__all__ = ["Cell", "Row", "Table", "cell_text"]

#: A cell: text (stripped), or what a workbook held — a number or a date.
Cell = str | int | float | dt.date | dt.datetime


def cell_text(value: Cell | None) -> str:
    """Return a cell as text: a whole number without ".0", a date as ``YYYY-MM-DD``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True)
class Row:
    """One data row: its number as the spreadsheet shows it, and its cells by column key."""

    number: int
    values: dict[str, Cell]

    def __contains__(self, column: str) -> bool:
        return column in self.values

    def get(self, column: str, default: Cell = "") -> Cell:
        return self.values.get(column, default)

    def text(self, column: str) -> str:
        """The cell of ``column`` as text ("" when the row has no such column)."""
        return cell_text(self.values.get(column))

    def date(self, column: str) -> dt.date | None:
        """The cell of ``column`` read by :func:`lif.dates.read_date`.

        :raises InvalidInput: the cell holds something that is not a date, keyed by column.
        """
        return dates.read_date(self.values.get(column), column)


@dataclass
class Table:
    """A table read from a file: its column keys, their names as written, and its rows."""

    columns: list[str]
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    header_row: int = 1

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)
