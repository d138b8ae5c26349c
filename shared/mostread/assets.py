"""The embeddable scripts (built by widget/build.py into mostread/static), served by the API.

Each file has two names: the stable ``tracker.v1.js`` (cached for a day, so fixes reach sites) and a
content-addressed ``tracker.v1.<hash>.js`` (cached for a year, immutable).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
STABLE_MAX_AGE = 86_400
HASHED_MAX_AGE = 31_536_000


@dataclass(frozen=True)
class Asset:
    name: str
    body: str
    content_type: str
    digest: str

    @property
    def hashed_name(self) -> str:
        stem, dot, extension = self.name.rpartition(".")
        return f"{stem}.{self.digest}{dot}{extension}"


@lru_cache(maxsize=1)
def _assets() -> dict[str, tuple[Asset, int]]:
    found: dict[str, tuple[Asset, int]] = {}
    for entry in resources.files("mostread").joinpath("static").iterdir():
        extension = "." + entry.name.rpartition(".")[2]
        if extension not in _TYPES:
            continue
        body = entry.read_text(encoding="utf-8")
        asset = Asset(entry.name, body, _TYPES[extension], hashlib.sha256(body.encode()).hexdigest()[:10])
        found[asset.name] = (asset, STABLE_MAX_AGE)
        found[asset.hashed_name] = (asset, HASHED_MAX_AGE)
    return found


def find_asset(name: str) -> tuple[Asset, int] | None:
    """The asset served under ``name`` and how long it may be cached, or None."""
    return _assets().get(name)


def asset_names() -> list[str]:
    return sorted(_assets())
