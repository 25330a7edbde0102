"""CSV that is safe to open in a spreadsheet: the one way this software writes CSV.

Text typed by officers reaches exports that compliance officers and the public open
in Excel or LibreOffice, where a cell starting with = + - @ (or a tab or carriage
return in front of one) runs as a formula (OWASP "CSV injection"). Every such cell is
written with a leading apostrophe, which spreadsheets read as "this is text".

`defusedcsv` was considered and not used: it misses the tab and carriage-return
prefixes and rewrites "|" inside cells, which would change signed audit text beyond
recovery. Here a cell that already starts with an apostrophe gets one more, so
`restore` gives back exactly what was written and the audit verifier can recompute
its hashes from a CSV export.
"""

import csv
from collections.abc import Iterable
from typing import Any

# ASCII starters from OWASP's list, and the full-width forms some spreadsheets accept too.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
ESCAPE = "'"


def neutralise(value: Any) -> Any:
    """The cell as it is safe to write; numbers and other non-text values pass unchanged."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value[0] == ESCAPE):
        return ESCAPE + value
    return value


def restore(cell: str) -> str:
    """The text `neutralise` was given, from a cell read back from a CSV it wrote."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


class SafeWriter:
    """csv.writer with every cell passed through `neutralise`."""

    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, **kwargs)

    @property
    def dialect(self):
        return self._writer.dialect

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]):
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    return SafeWriter(stream, **kwargs)


def reader(lines: Iterable[str], **kwargs):
    """csv.reader for a file `writer` produced, giving back the original text of each cell."""
    for row in csv.reader(lines, **kwargs):
        yield [restore(cell) for cell in row]
