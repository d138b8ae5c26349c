"""Which requests are not readers: crawlers (a maintained list, crawlerdetect) and speculative loads."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from crawlerdetect import CrawlerDetect

# Browsers mark speculative loads; none of them is a reader looking at the page.
_PREFETCH_HEADERS = {
    "purpose": ("prefetch", "preview"),
    "sec-purpose": ("prefetch", "prerender"),
    "x-purpose": ("prefetch", "preview"),
    "x-moz": ("prefetch",),
}


@lru_cache(maxsize=1)
def _detector() -> CrawlerDetect:
    return CrawlerDetect()


@lru_cache(maxsize=4096)
def is_crawler(user_agent: str) -> bool:
    return bool(_detector().isCrawler(user_agent))


def ignore_reason(user_agent: str, headers: Mapping[str, str]) -> str | None:
    """Why a request does not count, or None when it comes from a reader. ``headers`` are lower-cased."""
    if not user_agent.strip():
        return "no_user_agent"
    for header, markers in _PREFETCH_HEADERS.items():
        value = headers.get(header, "").lower()
        if value and any(marker in value for marker in markers):
            return "prefetch"
    if is_crawler(user_agent[:1024]):
        return "crawler"
    return None
