"""What ranking knows of a catalogued article. Its own module so that the catalog's table access
(``mostread.dal.catalog``), which the widget's read imports, does not load the ranking rules."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """What ranking needs to know of a catalogued article; ``version`` changes with every PUT."""

    article_id: str
    section: str
    published_ts: float
    version: str
    story_id: str | None = None
    # the story key (``story_key``), computed once: every list of every run looks it up for each candidate
    story: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "story", story_key(self.article_id, self.story_id))


def story_key(article_id: str, story_id: str | None) -> str:
    """The story an article belongs to; an article without ``story_id`` is a story of its own. Prefixed so that a
    story id equal to some other article's id cannot merge that article into the story."""
    return f"s:{story_id}" if story_id is not None else f"a:{article_id}"
