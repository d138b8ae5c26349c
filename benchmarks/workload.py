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

# Real headlines and excerpts differ from article to article, so they compress far less than one repeated
# template would: each article's text is its own seeded draw of words (titles of about 35 characters,
# summaries of about 130, both in the range of Korean news sites).
_VOCABULARY = (
    "정부 국회 대통령 여당 야당 예산안 처리 합의 지연 서울시 부산 대구 인천 광주 대전 울산 세종 경기도 강원 "
    "제주 첫눈 한파 폭설 미세먼지 경보 주의보 발령 기온 영하 출근길 지하철 버스 파업 협상 타결 노조 임금 "
    "반도체 수출 증가 감소 금리 인상 동결 한국은행 물가 상승률 환율 코스피 코스닥 외국인 매수 매도 실적 "
    "발표 분기 영업이익 적자 흑자 전환 기업 투자 확대 일자리 청년 고용 지표 개선 악화 부동산 아파트 전세 "
    "월세 거래 급감 규제 완화 교육부 수능 성적 입시 대학 학생 교사 학부모 병원 의료 응급실 의사 환자 백신 "
    "독감 유행 확산 방역 당국 경찰 검찰 수사 기소 재판 판결 항소 대법원 선고 사고 화재 교통 부상 사망 구조 "
    "소방 축구 야구 농구 배구 대표팀 감독 선수 우승 결승 승리 패배 경기 시즌 영화 드라마 가수 공연 전시 "
    "축제 관광객 방문 기록 역대 최대 최저 처음 전망 분석 우려 기대 논란 해명 사과 발언 비판 지지율 조사 "
    "결과 공개 추진 검토 도입 시행 연기 취소 확정 인공지능 스타트업 플랫폼 개인정보 유출 해킹 보안"
)
_WORDS = tuple(_VOCABULARY.split())


def _korean_text(article_id: str, field: str, words: int) -> str:
    rng = random.Random(f"{article_id}:{field}")
    return " ".join(rng.choice(_WORDS) for _ in range(words))


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
        return _korean_text(self.article_id, "title", 11)

    @property
    def url(self) -> str:
        return f"https://news.example.com/{self.section}/{self.article_id}"

    @property
    def summary(self) -> str:
        return _korean_text(self.article_id, "summary", 34)

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
