"""The CSV files the product writes (the per-device export, the redemption report).

User text (a reservation's name, a claim's beneficiary) must reach the spreadsheet that opens
the file as text, never as a formula (CSV injection, OWASP): a text cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``. The numbers we write
ourselves (ints, floats, Decimals) stay numbers, negative ones included.

Lines end with CRLF (RFC 4180): Python's csv module then quotes every cell holding a carriage
return or a line feed; with a bare ``"\\n"`` terminator it leaves a lone ``"\\r"`` unquoted, and
a spreadsheet would start a new row there, with whatever text followed.
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a cell a spreadsheet shows as written: numbers and empty cells as they are,
    anything else as text, with ``'`` before a formula's first character."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file: ``header``, then ``rows``, every cell through :func:`csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(value) for value in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue()
