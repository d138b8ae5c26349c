"""Synthetic, realistic traffic: Zipf-popular articles in sections, returning visitors, reloads, bots, widget clicks.

Everything is seeded and deterministic. A view is counted when it is the first of its (visitor, article) in its
dedupe slot and not from a bot; the generator keeps that count so benchmarks can divide by counted views.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from mostread import keys
from mostread.timebuckets import iso
from mostread.visitor import address_hash, event_key, visitor_hash

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)",
)
SECTIONS = ("politics", "economy", "society", "world", "culture", "sports", "tech", "opinion")


# --- the catalog ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogArticle:
    article_id: str
    section: str
    published_ts: float

    @property
    def published_at(self) -> str:
        return iso(self.published_ts).replace("Z", "+00:00")

    @property
    def title(self) -> str:
        return f"{self.section.title()} 속보: 오늘의 주요 뉴스와 분석, 기사 번호 {self.article_id}"

    @property
    def url(self) -> str:
        return f"https://news.example.com/{self.section}/{self.article_id}"

    @property
    def summary(self) -> str:
        return (
            f"{self.section} 섹션의 기사 {self.article_id} 요약입니다. 위젯이 제목 아래에 보여 주는 짧은 발췌문으로, "
            "독자가 기사를 고를 수 있도록 핵심 내용을 두세 문장으로 전합니다."
        )

    @property
    def thumbnail_url(self) -> str:
        return f"https://img.example.com/{self.article_id}/thumb.jpg"


def make_catalog(count: int, now: float, seed: int, sections: Sequence[str] = SECTIONS) -> list[CatalogArticle]:
    """``count`` articles, most popular first: popular articles are recent, the tail spreads over 7 days."""
    rng = random.Random(seed)
    articles = []
    for rank in range(count):
        age = rng.expovariate(1 / 36_000) if rank < count // 10 else rng.uniform(0, 7 * 86_400)
        articles.append(CatalogArticle(f"a{seed % 100:02d}{rank:06d}", sections[rank % len(sections)], now - age))
    return articles


class Zipf:
    """Draws indexes 0..n-1 with probability proportional to 1/(rank+1)^s."""

    def __init__(self, n: int, s: float = 1.0) -> None:
        self.population = range(n)
        self.cumulative = list(accumulate(1 / (rank + 1) ** s for rank in range(n)))

    def draw(self, rng: random.Random, k: int) -> list[int]:
        return rng.choices(self.population, cum_weights=self.cumulative, k=k)


# --- views -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedView:
    t: float
    article_id: str
    visitor: int
    event_id: str
    ref: str | None
    bot: bool

    @property
    def client_ip(self) -> str:
        v = self.visitor
        return f"66.249.{(v >> 8) & 255}.{v & 255}" if self.bot else f"10.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"

    @property
    def user_agent(self) -> str:
        return BOTS[self.visitor % len(BOTS)] if self.bot else BROWSERS[self.visitor % len(BROWSERS)]

    def body(self) -> dict[str, str]:
        body = {"article_id": self.article_id, "event_id": self.event_id}
        if self.ref:
            body["ref"] = self.ref
        return body


class Traffic:
    """A steady stream of views at ``rate`` per second.

    - articles: Zipf (s=1) over ``articles`` (index 0 the most popular);
    - ``reload_share`` of views are reloads: the same visitor and article as a view of the last two minutes;
    - ``returning_share`` of other views come from a visitor seen in the last two minutes (another article);
    - ``bot_share`` of views come from crawlers (ignored by the tracker), ``widget_share`` carry ref=mostread;
    - every view carries a fresh event id (one per page view, as the widget sends).
    """

    def __init__(
        self,
        articles: Sequence[str],
        rate: float,
        seed: int,
        *,
        slot_seconds: int = 1800,
        reload_share: float = 0.15,
        bot_share: float = 0.05,
        returning_share: float = 0.3,
        widget_share: float = 0.05,
        zipf_s: float = 1.0,
    ) -> None:
        self.articles = list(articles)
        self.rate = rate
        self.rng = random.Random(seed)
        self.zipf = Zipf(len(self.articles), zipf_s)
        self.slot_seconds = slot_seconds
        self.reload_share = reload_share
        self.bot_share = bot_share
        self.returning_share = returning_share
        self.widget_share = widget_share
        self._recent: list[tuple[int, int]] = []
        self._recent_size = max(50, int(rate * 120))
        self._recent_next = 0
        self._next_visitor = 1
        self._draws: list[int] = []
        self._seen: dict[int, set[int]] = {}
        self.generated = 0
        self.bots = 0
        self.counted = 0

    def views(self, start: float, seconds: float) -> list[PlannedView]:
        """Views received in [start, start + seconds), evenly spread."""
        count = round(self.rate * seconds)
        return [self._view(start + (n + 0.5) * seconds / count) for n in range(count)]

    def _article(self) -> int:
        if not self._draws:
            self._draws = self.zipf.draw(self.rng, 4096)
        return self._draws.pop()

    def _view(self, t: float) -> PlannedView:
        rng = self.rng
        self.generated += 1
        event_id = f"{rng.getrandbits(128):032x}"
        roll = rng.random()
        if roll < self.bot_share:
            self.bots += 1
            return PlannedView(t, self.articles[self._article()], rng.randrange(1 << 16), event_id, None, True)
        if roll < self.bot_share + self.reload_share and self._recent:
            visitor, article = self._recent[rng.randrange(len(self._recent))]
        else:
            article = self._article()
            if self._recent and rng.random() < self.returning_share:
                visitor = self._recent[rng.randrange(len(self._recent))][0]
            else:
                visitor, self._next_visitor = self._next_visitor, self._next_visitor + 1
        self._remember(visitor, article)
        self._count(t, visitor, article)
        ref = "mostread" if rng.random() < self.widget_share else None
        return PlannedView(t, self.articles[article], visitor, event_id, ref, False)

    def _remember(self, visitor: int, article: int) -> None:
        if len(self._recent) < self._recent_size:
            self._recent.append((visitor, article))
        else:
            self._recent[self._recent_next] = (visitor, article)
            self._recent_next = (self._recent_next + 1) % self._recent_size

    def _count(self, t: float, visitor: int, article: int) -> None:
        slot = int(t // self.slot_seconds) * self.slot_seconds
        seen = self._seen.get(slot)
        if seen is None:
            self._seen = {s: v for s, v in self._seen.items() if s >= slot - self.slot_seconds}
            seen = self._seen[slot] = set()
        identity = (visitor << 24) | article
        if identity not in seen:
            seen.add(identity)
            self.counted += 1


# --- what the stream delivers ---------------------------------------------------------------------------


class StreamImages:
    """Builds the stream record of a recorded view without writing it: the NewImage ``put_view`` would write.

    Used to fill the view log at rates DynamoDB Local cannot take through the tracker; the format is checked
    against the real ``put_view`` by ``check_against_put_view``."""

    def __init__(self, salt: bytes, slot_seconds: int, retention_days: int) -> None:
        self.salt = salt
        self.slot_seconds = slot_seconds
        self.retention_seconds = retention_days * 86400
        self._hashes: dict[int, tuple[str, str]] = {}
        self._sequence = 0

    def image(self, view: PlannedView) -> dict[str, Any]:
        hashes = self._hashes.get(view.visitor)
        if hashes is None:
            hashes = (
                visitor_hash(self.salt, view.client_ip, view.user_agent),
                address_hash(self.salt, view.client_ip),
            )
            self._hashes[view.visitor] = hashes
        visitor, address = hashes
        slot = int(view.t // self.slot_seconds) * self.slot_seconds
        item = {
            "pk": {"S": keys.view_key(event_key(view.event_id, visitor, view.article_id, slot))},
            "sk": {"S": keys.ITEM},
            "a": {"S": view.article_id},
            "t": {"N": str(int(view.t * 1000))},
            "v": {"S": visitor},
            "ad": {"S": address},
            "w": {"N": "1"},
            "expires_at": {"N": str(int(view.t) + self.retention_seconds)},
        }
        if view.ref:
            item["r"] = {"S": view.ref}
        return item

    def record(self, view: PlannedView) -> dict[str, Any]:
        self._sequence += 1
        image = self.image(view)
        return {
            "eventID": f"bulk-{self._sequence:012d}",
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"pk": image["pk"], "sk": image["sk"]},
                "NewImage": image,
                "StreamViewType": "NEW_IMAGE",
            },
        }


def check_against_put_view(images: StreamImages, view: PlannedView) -> None:
    """Fail loudly when the images built here stop matching what the tracker really writes."""
    from mostread.dal.views import RecordedView, put_view
    from mostread.models import ViewIn
    from mostread.services.tracking import Reader, record_views

    from benchmarks.common import dynamodb_replaced_by

    written: list[dict[str, Any]] = []

    class Capture:
        def put_item(self, **request: Any) -> dict[str, Any]:
            written.append(request["Item"])
            return {}

    def store(recorded: RecordedView) -> bool:
        with dynamodb_replaced_by(Capture()):
            return put_view(recorded)

    reader = Reader(view.client_ip, view.user_agent, {"user-agent": view.user_agent})
    record_views([ViewIn.model_validate(view.body())], reader, view.t, lambda _day, _now: images.salt, store)
    if written != [images.image(view)]:
        raise AssertionError(f"stream image format drifted from put_view: {written} != {[images.image(view)]}")


def record_time(record: dict[str, Any]) -> float:
    return int(record["dynamodb"]["NewImage"]["t"]["N"]) / 1000


@dataclass(frozen=True)
class Delivery:
    at: float
    records: list[dict[str, Any]]

    def clock(self) -> Callable[[], float]:
        """The stream consumer's clock for this batch: it runs when the batch is delivered."""
        return lambda: self.at


def lambda_batches(
    records: Iterable[dict[str, Any]], shards: int = 4, batch_size: int = 1000, window: float = 2.0
) -> list[Delivery]:
    """Stream records as the Lambda event source mapping hands them over.

    Records go to a stream shard by partition key (``shards`` shards); per shard, a batch closes when it holds
    ``batch_size`` records or ``window`` seconds after its first record (MaximumBatchingWindowInSeconds)."""
    by_shard: list[list[dict[str, Any]]] = [[] for _ in range(shards)]
    for record in records:
        pk = record["dynamodb"]["Keys"]["pk"]["S"]
        by_shard[zlib.crc32(pk.encode()) % shards].append(record)
    deliveries: list[Delivery] = []
    for shard_records in by_shard:
        deliveries.extend(_shard_batches(sorted(shard_records, key=record_time), batch_size, window))
    return sorted(deliveries, key=lambda delivery: delivery.at)


def _shard_batches(records: list[dict[str, Any]], batch_size: int, window: float) -> Iterator[Delivery]:
    batch: list[dict[str, Any]] = []
    opened = 0.0
    for record in records:
        t = record_time(record)
        if batch and t >= opened + window:
            yield Delivery(opened + window, batch)
            batch = []
        if not batch:
            opened = t
        batch.append(record)
        if len(batch) == batch_size:
            yield Delivery(t, batch)
            batch = []
    if batch:
        yield Delivery(opened + window, batch)
