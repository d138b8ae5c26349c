"""One recorded view as the view log holds it: what the tracker records and counting reads.

Apart from ``mostread.counting`` so that the tracker, which only writes rows, does not load the counting rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Row = Sequence[object]  # [article_id, visitor, received_ms, event_key, address, ref, weight]


@dataclass(frozen=True, slots=True)
class LoggedView:
    """One recorded view, as rich as counting-time rules need. Visitor and address are salted hashes."""

    article_id: str
    visitor: str
    received_ms: int
    event_key: str
    address: str = ""
    ref: str = ""
    weight: int = 1

    def to_row(self) -> list[object]:
        return [
            self.article_id,
            self.visitor,
            self.received_ms,
            self.event_key,
            self.address,
            self.ref,
            self.weight,
        ]

    @classmethod
    def from_row(cls, row: Row) -> LoggedView:
        article_id, visitor, received_ms, event_key, address, ref, weight = row
        return cls(
            str(article_id),
            str(visitor),
            int(str(received_ms)),
            str(event_key),
            str(address),
            str(ref),
            int(str(weight)),
        )
