"""Which requests are not readers: crawlers (a maintained list, crawlerdetect) and speculative loads.

crawlerdetect joins its ~1,500 patterns into one case-insensitive regular expression, which takes Python ~50 ms to
compile (a fifth of boto3's import, on every cold start of the tracker) and ~1 ms to search per user agent. All but
a few dozen of the patterns are plain words, though. ``is_crawler`` answers exactly as ``CrawlerDetect.isCrawler``
does, the same way: the same exclusions are removed from the user agent first, then the plain words are looked for
as substrings, ignoring case, through an index of their first three letters, and only the real regular expressions
are compiled and searched. A user agent that is not ASCII (where ``str.lower`` and the regular expression engine's
case folding could differ) goes to crawlerdetect itself. tests/unit/test_bots.py holds the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from mostread.caches import cycle_collection_paused

if TYPE_CHECKING:
    from crawlerdetect import CrawlerDetect

# Browsers mark speculative loads; none of them is a reader looking at the page.
_PREFETCH_HEADERS = {
    "purpose": ("prefetch", "preview"),
    "sec-purpose": ("prefetch", "prerender"),
    "x-purpose": ("prefetch", "preview"),
    "x-moz": ("prefetch",),
}
_INDEXED = 3  # a plain word is indexed by its first three characters
# A pattern that is a plain word: ASCII (where re.IGNORECASE and str.lower agree), no special character, an escaped
# punctuation character or space standing for itself.
_WORD = r"(?:\\[ -/:-@\[-`{-~]|[^\\.^$*+?{}\[\]|()\x80-\U0010ffff])+"
_ESCAPED = r"\\(.)"


@dataclass(frozen=True)
class Crawlers:
    """crawlerdetect's patterns, split: plain words by their first letters, the rest as one expression."""

    exclusions: re.Pattern[str]
    words: dict[str, tuple[str, ...]]
    expression: re.Pattern[str]

    def match(self, agent: str) -> bool:
        """Whether a crawler pattern is found in ``agent`` (ASCII, exclusions removed)."""
        lowered = agent.lower()
        words = self.words
        for start in range(len(lowered) - _INDEXED + 1):
            for word in words.get(lowered[start : start + _INDEXED], ()):
                if lowered.startswith(word, start):
                    return True
        return self.expression.search(agent) is not None


@lru_cache(maxsize=1)
def crawlers() -> Crawlers:
    with cycle_collection_paused():  # the patterns' compilation allocates much and frees it all
        return _compiled()


def _compiled() -> Crawlers:
    from crawlerdetect.crawlerdetect import get_compiled_exclusions_regex
    from crawlerdetect.providers.crawlers import data

    plain, escaped = re.compile(_WORD), re.compile(_ESCAPED)
    words: dict[str, list[str]] = {}
    expressions = []
    for pattern in data:
        if not plain.fullmatch(pattern):
            expressions.append(pattern)
            continue
        word = (escaped.sub(r"\1", pattern) if "\\" in pattern else pattern).lower()
        if len(word) < _INDEXED:
            expressions.append(pattern)
        else:
            words.setdefault(word[:_INDEXED], []).append(word)
    return Crawlers(
        get_compiled_exclusions_regex(),  # crawlerdetect's own, small
        {prefix: tuple(found) for prefix, found in words.items()},
        re.compile(f"({'|'.join(expressions)})", re.IGNORECASE),  # as crawlerdetect joins them, fewer
    )


@lru_cache(maxsize=1)
def _detector() -> CrawlerDetect:
    from crawlerdetect import CrawlerDetect

    return CrawlerDetect()


@lru_cache(maxsize=4096)
def is_crawler(user_agent: str) -> bool:
    """``CrawlerDetect().isCrawler(user_agent)``."""
    stripped = user_agent.strip()
    if not stripped.isascii():
        return bool(_detector().isCrawler(stripped))
    if not stripped:
        return False
    found = crawlers()
    agent = found.exclusions.sub("", stripped)
    return bool(agent) and found.match(agent)


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
