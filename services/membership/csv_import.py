"""Bulk import of organisations from a spreadsheet export (CSV, UTF-8).

Parsing produces a *plan*: the rows that are valid drafts and one error per failing field,
each with its line number, so a user can fix the file in one pass. Nothing is stored here.

The cells are separated by ',' or, as European spreadsheet programs save them, by ';':
whichever the header line holds more of. List columns (nace_codes, technologies, ...)
hold several values separated by ';' in a comma-separated file, and by ',' in a
semicolon-separated one (where a quoted cell may also use ';').
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError

from services.membership.domain import (
    OrganizationDraft,
)
from services.membership.keys import (
    duplicate_keys,
)
from shared.errors import shorten

if TYPE_CHECKING:
    from _csv import Reader

__all__ = [
    "COLUMNS",
    "EXAMPLE_ROW",
    "LIST_COLUMNS",
    "MAX_ROWS",
    "CsvImportPlan",
    "RowError",
    "parse_organizations_csv",
    "template_csv",
]

COLUMNS: tuple[str, ...] = (
    "legal_name",
    "vat",
    "country",
    "city",
    "website",
    "nace_codes",
    "technologies",
    "offers",
    "needs",
    "cooperation_types",
    "countries_of_interest",
    "languages",
    "size_class",
    "clusters",
    "visibility",
)
LIST_COLUMNS = frozenset(
    {
        "nace_codes",
        "technologies",
        "cooperation_types",
        "countries_of_interest",
        "languages",
        "clusters",
    }
)
REQUIRED_COLUMNS = ("legal_name", "country")
MAX_ROWS = 10_000
HEADER_LINE = 1
# One valid row, written as a comma-separated file takes it (the template's second line).
EXAMPLE_ROW: dict[str, str] = {
    "legal_name": "Example Robotics SRL",
    "vat": "RO18547290",
    "country": "RO",
    "city": "Cluj-Napoca",
    "website": "https://robotics.example.ro",
    "nace_codes": "62.10;28.99",
    "technologies": "robotics;machine vision",
    "offers": "Welding robot cells and their integration",
    "needs": "Partners for aerospace certification",
    "cooperation_types": "technical_cooperation;subcontracting",
    "countries_of_interest": "DE;FR",
    "languages": "ro;en",
    "size_class": "small",
    "clusters": "",
    "visibility": "alliance",
}
_LIST_SEPARATORS = {",": re.compile(";"), ";": re.compile("[,;]")}  # by cell delimiter


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the file's line number (header = 1), the column, and why."""

    row: int
    field: str
    reason: str


@dataclass(slots=True)
class CsvImportPlan:
    """Valid drafts with their line numbers, every error found, and what was converted."""

    rows: list[tuple[int, OrganizationDraft]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)  # e.g. NACE Rev. 2 codes converted


def template_csv() -> str:
    """A file to start from: the header (every column, in order) and one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE_ROW.get(column, "") for column in COLUMNS)
    return out.getvalue()


def parse_organizations_csv(text: str) -> CsvImportPlan:
    """Validate a whole file up front so one bad line never leaves a half-done import."""
    plan = CsvImportPlan()
    text = text.removeprefix("\ufeff")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        header_errors = _check_header(header)
        if header_errors:
            plan.errors.extend(header_errors)
            return plan
        _parse_rows(reader, header, plan, _LIST_SEPARATORS[delimiter])
    except csv.Error as exc:
        plan.errors.append(RowError(max(reader.line_num, HEADER_LINE), "row", f"unreadable: {exc}"))
    return plan


def _delimiter(text: str) -> str:
    """';' when the header line holds more of them than ',' (column names hold neither)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _check_header(header: list[str]) -> list[RowError]:
    """The header must name known columns, each once, including the required ones."""
    if not any(header):
        return [RowError(HEADER_LINE, "header", "empty file: expected a header row")]
    known = set(COLUMNS)
    if not known.intersection(header):
        expected = ", ".join(COLUMNS)
        return [RowError(HEADER_LINE, "header", f"no header row; expected columns: {expected}")]
    errors = [
        RowError(HEADER_LINE, name or f"column {index + 1}", _unknown_column(name, index))
        for index, name in enumerate(header)
        if name not in known
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(HEADER_LINE, name, "column appears more than once"))
        seen.add(name)
    errors += [
        RowError(HEADER_LINE, name, "required column missing")
        for name in REQUIRED_COLUMNS
        if name not in seen
    ]
    return errors


def _unknown_column(name: str, index: int) -> str:
    """'unknown column 'countri' (did you mean 'country'?); expected columns: …'."""
    shown = repr(shorten(name, 40)) if name else f"{index + 1} (its name is empty)"
    close = difflib.get_close_matches(name, COLUMNS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown column {shown}{hint}; expected columns: {', '.join(COLUMNS)}"


def _parse_rows(
    reader: Reader, header: list[str], plan: CsvImportPlan, separator: re.Pattern[str]
) -> None:
    """Validate each data record; `line` is where the record starts in the file."""
    first_line_of_key: dict[str, int] = {}
    count = 0
    line = reader.line_num + 1
    while True:
        start = line
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # one unreadable record must not hide the rows after it
            line = reader.line_num + 1
            plan.errors.append(RowError(start, "row", f"unreadable: {exc}"))
            continue
        line = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            plan.errors.append(RowError(start, "row", f"more than {MAX_ROWS} rows; split the file"))
            return
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            reason = f"{len(cells)} cells but the header has {len(header)} columns"
            plan.errors.append(RowError(start, "row", reason))
            continue
        draft = _validate(start, _record(header, cells, separator), plan)
        if draft is None:
            continue
        plan.notices += [RowError(start, n.field, n.reason) for n in draft.notices]
        keys = duplicate_keys(draft)
        repeated = [first_line_of_key[key] for key in keys if key in first_line_of_key]
        if repeated:
            column = "vat" if draft.vat else "legal_name"
            plan.errors.append(RowError(start, column, f"duplicate of row {repeated[0]}"))
            continue
        for key in keys:
            first_line_of_key[key] = start
        plan.rows.append((start, draft))


def _record(header: list[str], cells: list[str], separator: re.Pattern[str]) -> dict[str, object]:
    """Non-empty cells by column; list columns split on ``separator`` (empty: not given)."""
    record: dict[str, object] = {}
    for name, cell in zip(header, cells, strict=False):
        value = cell.strip()
        if not value:
            continue
        if name in LIST_COLUMNS:
            record[name] = [item.strip() for item in separator.split(value) if item.strip()]
        else:
            record[name] = value
    return record


def _validate(
    line: int, record: dict[str, object], plan: CsvImportPlan
) -> OrganizationDraft | None:
    """The draft, or None after recording one error per failing column."""
    try:
        return OrganizationDraft.model_validate(record)
    except ValidationError as exc:
        reasons: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False):
            column = str(error["loc"][0]) if error["loc"] else "row"
            reason = error["msg"].removeprefix("Value error, ")
            value = error.get("input")
            if len(error["loc"]) > 1 and isinstance(value, str) and repr(value) not in reason:
                reason = f"{shorten(value, 40)!r}: {reason}"
            reasons.setdefault(column, []).append(shorten(reason))
        plan.errors += [RowError(line, column, "; ".join(why)) for column, why in reasons.items()]
        return None
