"""CSV files the portal writes (bank files) and reads (death reports, tax batches, bank answers).

Writing: a cell that starts with = + - @, TAB or CR is a formula to a spreadsheet; a resident's
name like `=HYPERLINK(…)` must reach the bank's clerk as text, so such cells get a leading
apostrophe (OWASP "CSV injection"). Every CSV the portal writes goes through `write`.

Reading: a file with NUL bytes or a field longer than any real value is refused as a whole with a
reason, before anything is stored.
"""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_FIELD = 200  # characters; the longest real value (an address) is far shorter


def neutralise(value):
    """The cell as a spreadsheet will show it: text that would start a formula is made text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


class BadCsv(ValueError):
    """The file cannot be taken: `code` is nul / too_long / unreadable / header, `line` where
    it was found."""

    def __init__(self, code: str, line: int | None = None):
        super().__init__(code if line is None else f"{code} (line {line})")
        self.code, self.line = code, line


def read(text: str, required, max_field: int = MAX_FIELD) -> list[dict]:
    """The rows as dicts keyed by the header; BadCsv for NUL bytes, over-long fields, a broken
    file or a header without the `required` columns."""
    if "\x00" in text:
        raise BadCsv("nul")
    reader = csv.DictReader(io.StringIO(text))
    try:
        _check_header(reader.fieldnames, required, max_field)
        return [_checked_row(row, max_field, reader.line_num) for row in reader]
    except csv.Error:
        raise BadCsv("unreadable", reader.line_num) from None


def _check_header(fieldnames, required, max_field: int) -> None:
    if not fieldnames or not set(required) <= set(fieldnames):
        raise BadCsv("header", 1)
    if any(len(name or "") > max_field for name in fieldnames):
        raise BadCsv("too_long", 1)


def _checked_row(row: dict, max_field: int, line: int) -> dict:
    """A row whose every field (the extra ones a long line puts in a list too) fits."""
    values = [v for v in row.values() if isinstance(v, str)]
    values += [x for v in row.values() if isinstance(v, list) for x in v]
    if any(len(value) > max_field for value in values):
        raise BadCsv("too_long", line)
    return row
