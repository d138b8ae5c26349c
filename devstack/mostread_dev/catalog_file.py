"""Catalog files: the articles ``mostread catalog load`` upserts and ``mostread traffic`` reads.

Two shapes are accepted: a list of articles, each with ``article_id`` and the PUT body's fields, or an object
mapping article ids to PUT bodies. The bodies are passed on as they are: the API validates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class CatalogFileError(ValueError):
    """The file is not one of the two shapes."""


@dataclass(frozen=True)
class CatalogEntry:
    article_id: str
    body: dict[str, Any]
    """The PUT /v1/articles/{article_id} body (everything but article_id)."""


def read_catalog_file(path: Path) -> list[CatalogEntry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogFileError(f"{path}: {error}") from error
    return parse_catalog(document, str(path))


def parse_catalog(document: Any, source: str = "catalog") -> list[CatalogEntry]:
    if isinstance(document, list):
        return [_from_list_item(item, index, source) for index, item in enumerate(document)]
    if isinstance(document, dict):
        return [_from_mapping_item(article_id, body, source) for article_id, body in document.items()]
    raise CatalogFileError(f"{source}: expected a list of articles or an object of article id -> article")


def _from_list_item(item: Any, index: int, source: str) -> CatalogEntry:
    if not isinstance(item, dict):
        raise CatalogFileError(f"{source}[{index}]: an article must be a JSON object")
    article_id = item.get("article_id")
    if not isinstance(article_id, str) or not article_id:
        raise CatalogFileError(f"{source}[{index}]: article_id is missing or not a string")
    return CatalogEntry(article_id, {key: value for key, value in item.items() if key != "article_id"})


def _from_mapping_item(article_id: str, body: Any, source: str) -> CatalogEntry:
    if not isinstance(body, dict):
        raise CatalogFileError(f"{source}[{article_id!r}]: an article must be a JSON object")
    return CatalogEntry(article_id, {key: value for key, value in body.items() if key != "article_id"})
