"""A ranking list as CSV for editors' spreadsheets: what ``GET /v1/rankings?format=csv`` answers and what
``mostread export`` writes, from one function so the two never differ.

RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180): CRLF line ends, quotes where a cell needs them. Korean text is
written as it is (UTF-8). A text cell a spreadsheet would run as a formula gets a leading apostrophe, as OWASP's
CSV injection advice says (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

CSV_TYPE = "text/csv; charset=utf-8"
LIST_COLUMNS = ("rank", "article_id", "title", "url", "section", "published_at", "views")
# the columns a kind's items carry beside the common ones
KIND_COLUMNS: dict[str, tuple[str, ...]] = {"trending": ("score",), "engaged": ("read_rate",)}
SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_COLUMNS = frozenset({"article_id", "title", "url", "section", "published_at", "thumbnail_url", "summary"})


def spreadsheet_safe(text: str) -> str:
    """A text cell that starts with = + - @, a tab or a carriage return gets a leading apostrophe."""
    return "'" + text if text.startswith(SPREADSHEET_TRIGGERS) else text


def cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if column in TEXT_COLUMNS:
        return spreadsheet_safe(str(value))
    return str(value)


def list_columns(kind: str) -> list[str]:
    return [*LIST_COLUMNS, *KIND_COLUMNS.get(kind, ())]


def list_csv(page: Mapping[str, Any]) -> str:
    """The header row, then one row per item in rank order."""
    columns = list_columns(str(page.get("kind", "most_read")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([cell(item.get(column), column) for column in columns] for item in page.get("items", []))
    return out.getvalue()
