"""A report table as a CSV file that Excel opens correctly and safely.

- UTF-8 with a byte-order mark: without it Excel reads the file as the PC's legacy code page
  and Bangla turns into mojibake.
- Formula injection: a cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or
  carriage return, which Excel skips before looking) is a formula to a spreadsheet. Text
  cells — customers' words above all — that start so get a leading apostrophe, which
  spreadsheets show as plain text (OWASP's advice). Numbers are written as numbers.
"""

import csv
import io
from typing import Any

from handoff.report.figures import Table

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(_header(c)) for c in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(value) for value in row])
    return (BOM + out.getvalue()).encode("utf-8")


def _header(column) -> str:
    unit = {"share": " (%)", "minutes": " (minutes)"}.get(column.kind, "")
    return column.label + unit
