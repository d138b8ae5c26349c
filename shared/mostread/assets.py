"""The embeddable scripts (built by widget/build.py into mostread/static), served by the API.

Each file has two names: the stable ``tracker.v1.js`` (cached for a day, so fixes reach sites) and a
content-addressed ``tracker.v1.<hash>.js`` (cached for a year, immutable). The deployment's settings the scripts
need (``EngagedSeconds``) are written into them before they are hashed, so a changed setting is a new file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from mostread.caches import remembered

# the quoted placeholder in tracker.js that becomes the deployment's EngagedSeconds (a number)
ENGAGED_SECONDS_PLACEHOLDER = '"__MOSTREAD_ENGAGED_SECONDS__"'
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


def render(body: str, engaged_seconds: int) -> str:
    """A built script with the deployment's settings written in."""
    return body.replace(ENGAGED_SECONDS_PLACEHOLDER, str(int(engaged_seconds)))


def _engaged_seconds() -> int:
    import os

    from mostread.config import Settings, settings

    # outside a deployment (a build check, a test without an environment) the template's default
    return settings().engaged_seconds if os.environ.get("TABLE_NAME") else Settings("unset").engaged_seconds


@lru_cache(maxsize=1)
def _assets() -> dict[str, tuple[Asset, int]]:
    found: dict[str, tuple[Asset, int]] = {}
    engaged_seconds = _engaged_seconds()
    for entry in resources.files("mostread").joinpath("static").iterdir():
        extension = "." + entry.name.rpartition(".")[2]
        if extension not in _TYPES:
            continue
        body = render(entry.read_text(encoding="utf-8"), engaged_seconds)
        asset = Asset(entry.name, body, _TYPES[extension], hashlib.sha256(body.encode()).hexdigest()[:10])
        found[asset.name] = (asset, STABLE_MAX_AGE)
        found[asset.hashed_name] = (asset, HASHED_MAX_AGE)
    return found


remembered(_assets.cache_clear)


def find_asset(name: str) -> tuple[Asset, int] | None:
    """The asset served under ``name`` and how long it may be cached, or None."""
    return _assets().get(name)


def asset_names() -> list[str]:
    return sorted(_assets())
