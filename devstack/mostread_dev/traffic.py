"""Synthetic readers of a news site, reproducible from a seed: the one traffic generator of the project, behind
``mostread traffic``, ``mostread dev --demo`` and the benchmarks.

What a site's article pages send to ``POST /v1/views``:

* articles by a Zipf law (a few get most views) over a popularity order that is a seeded shuffle, or, when the
  articles' publication times are given, mostly newest first (recency: yesterday's story is read less);
* a new visitor (a distinct X-Forwarded-For in 10.0.0.0/8 and a browser User-Agent) or a returning one;
* reloads (the same visitor and article, a new event id), retries (the same event id from another address),
  batches (an infinite scroll reporting several articles), clicks from the widget itself (``ref=mostread``),
  crawlers (Googlebot, Naver's Yeti, ...: the API must ignore them) and junk ids (a mistyped or removed
  article: counted, never listed);
* ``text/plain`` as ``navigator.sendBeacon`` sends it, or ``application/json``.

``synthetic_catalog`` makes a catalog of any size with Korean titles and summaries; the demo uses the hand-written
``demo_catalog.json``. With a ``Storyline`` (the demo) popularity changes over time on the injected clock, so the
trending ("HOT ISSUE") lists differ from the most-read ones and the lists keep moving.

``SyntheticReaders`` only decides what to send (pure, unit tested); ``run_traffic`` sends it over HTTP at a rate;
``DemoTraffic`` is ``mostread dev --demo``; benchmarks take ``SyntheticReaders.timed`` requests at simulated times.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import math
import random
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from mostread.clock import system_clock

from mostread_dev.api_client import ApiClient, ApiUnavailable
from mostread_dev.catalog_file import CatalogEntry, read_catalog_file
from mostread_dev.demo_site import CATALOG_FILE
from mostread_dev.timefmt import KST, iso_kst

log = logging.getLogger("mostread_dev.traffic")

RequestKind = Literal["reader", "reload", "retry", "batch", "bot", "engaged"]

BROWSER_USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0"
    " Whale/4.29.282.14 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1"
    " Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1"
    " Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0"
    " Chrome/121.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-A356N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile"
    " Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
    " KAKAOTALK 10.8.5",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
    " NAVER(inapp; search; 2000; 12.10.2)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    " Edg/131.0.0.0",
)
BOT_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)",
    "Mozilla/5.0 (compatible; Daum/4.1; +http://cs.daum.net/faq/15/4118.html?faqId=28966)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)
REFERRERS = ("naver", "daum", "google", "home", "section", "push")
SECTIONS = ("politics", "economy", "society", "world", "culture", "sports", "tech", "opinion")


# --- a catalog of any size ----------------------------------------------------------------------------------

# Real headlines differ from article to article, so they compress far less than one repeated template would: each
# article's text is its own seeded draw of words (titles of about 35 characters, summaries of about 130).
_WORDS = """
정부 국회 대통령 여당 야당 예산안 처리 합의 지연 서울시 부산 대구 인천 광주 대전 울산
세종 경기도 강원 제주 첫눈 한파 폭설 미세먼지 경보 주의보 발령 기온 영하 출근길 지하철
버스 파업 협상 타결 노조 임금 반도체 수출 증가 감소 금리 인상 동결 한국은행 물가 상승률
환율 코스피 코스닥 외국인 매수 매도 실적 발표 분기 영업이익 적자 흑자 전환 기업 투자
확대 일자리 청년 고용 지표 개선 악화 부동산 아파트 전세 월세 거래 급감 규제 완화 교육부
수능 성적 입시 대학 학생 교사 학부모 병원 의료 응급실 의사 환자 백신 독감 유행 확산 방역
당국 경찰 검찰 수사 기소 재판 판결 항소 대법원 선고 사고 화재 교통 부상 사망 구조 소방
축구 야구 농구 배구 대표팀 감독 선수 우승 결승 승리 패배 경기 시즌 영화 드라마 가수 공연
전시 축제 관광객 방문 기록 역대 최대 최저 처음 전망 분석 우려 기대 논란 해명 사과 발언
비판 지지율 조사 결과 공개 추진 검토 도입 시행 연기 취소 확정 인공지능 스타트업 플랫폼
개인정보 유출 해킹 보안
""".split()  # noqa: SIM905 - a paragraph reads better than 170 quoted words


def korean_text(article_id: str, part: str, words: int) -> str:
    """Words drawn for one article and part (title, summary): the same every time."""
    rng = random.Random(f"{article_id}:{part}")  # noqa: S311 - reproducible text, not secrets
    return " ".join(rng.choice(_WORDS) for _ in range(words))


@dataclass(frozen=True, slots=True)
class SyntheticArticle:
    article_id: str
    section: str
    published_ts: float

    def body(self) -> dict[str, Any]:
        """The ``PUT /v1/articles/{id}`` body, as a CMS sends it."""
        return {
            "title": korean_text(self.article_id, "title", 11),
            "url": f"https://news.example.kr/{self.section}/{self.article_id}",
            "section": self.section,
            "published_at": datetime.fromtimestamp(self.published_ts, UTC).isoformat(timespec="seconds"),
            "thumbnail_url": f"https://img.example.kr/{self.article_id}/thumb.jpg",
            "summary": korean_text(self.article_id, "summary", 34),
        }


def synthetic_catalog(
    count: int, now: float, seed: int, *, days: float = 7.0, sections: Sequence[str] = SECTIONS
) -> list[SyntheticArticle]:
    """``count`` articles published at random over the ``days`` before ``now``, in ``sections`` by turn."""
    rng = random.Random(seed)  # noqa: S311
    return [
        SyntheticArticle(f"a{seed % 100:02d}-{n:06d}", sections[n % len(sections)], now - rng.uniform(0, days * 86400))
        for n in range(count)
    ]


# --- the readers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrafficMix:
    """Shares of each kind of request (the rest are plain readers) and of what readers send."""

    bot: float = 0.05
    reload: float = 0.08
    retry: float = 0.02
    batch: float = 0.05
    from_widget: float = 0.10
    with_referrer: float = 0.25
    beacon: float = 0.7
    """Share sent as text/plain (navigator.sendBeacon); the rest as application/json (fetch)."""
    returning_visitor: float = 0.3
    junk: float = 0.02
    """Share of article ids that are not in the catalog (a mistyped link, a deleted article)."""
    zipf_exponent: float = 1.1
    max_batch: int = 5
    engaged: float = 0.0
    """Share of requests that report a recent page view's reader engaged (the tracker's second report); each
    article is read to the end by its own share of readers, so read rates differ."""


@dataclass(frozen=True)
class Storyline:
    """How popularity changes over time (seconds since the readers were created, on the injected clock).

    - ``evergreen`` is read the most, at a steady rate: it leads the most-read lists.
    - ``breaking`` takes off: its rate grows quadratically (accelerating) from ``surge_start`` to ``surge_peak``
      times the evergreen's over ``surge_seconds``, then holds. It never has the most views, but its views are
      new ones: it leads the trending lists.
    - ``follow_ups`` (the evergreen's story's other articles) are read steadily at ``follow_up_shares`` of the
      evergreen's rate: enough that, were stories not collapsed, they would stand among the first places.
    - Every other article keeps its Zipf rate, times ``1 + drift_amplitude * sin(2 pi t / drift_seconds + phase)``
      with a seeded phase of its own, so neighbours in the lists trade places now and then.
    """

    evergreen: str
    breaking: str
    follow_ups: tuple[str, ...] = ()
    follow_up_shares: tuple[float, ...] = (0.55, 0.45, 0.35)
    surge_start: float = 0.15
    surge_peak: float = 0.8
    surge_seconds: float = 360.0
    drift_amplitude: float = 0.35
    drift_seconds: float = 900.0

    def surge(self, elapsed: float) -> float:
        """The breaking story's rate relative to the evergreen's, ``elapsed`` seconds in."""
        progress = min(max(elapsed, 0.0) / self.surge_seconds, 1.0)
        return self.surge_start + (self.surge_peak - self.surge_start) * progress**2


@dataclass(frozen=True)
class Visitor:
    ip: str
    user_agent: str


@dataclass(frozen=True)
class SyntheticRequest:
    kind: RequestKind
    visitor: Visitor
    document: dict[str, Any]
    content_type: str
    sent_at: float = 0.0
    """Set by ``SyntheticReaders.timed`` (simulated time); 0 otherwise."""

    @property
    def headers(self) -> dict[str, str]:
        return {
            "content-type": self.content_type,
            "user-agent": self.visitor.user_agent,
            # the local stack (and an API behind CloudFront) takes the last hop as the client address
            "x-forwarded-for": self.visitor.ip,
        }

    @property
    def body(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False).encode("utf-8")

    @property
    def views(self) -> list[dict[str, Any]]:
        return list(self.document["views"]) if "views" in self.document else [self.document]


class SyntheticReaders:
    """An endless, seeded sequence of tracking requests for ``article_ids``."""

    def __init__(
        self,
        article_ids: Sequence[str],
        seed: int = 0,
        mix: TrafficMix | None = None,
        *,
        storyline: Storyline | None = None,
        published: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``published`` (article id -> epoch seconds): popularity mostly follows recency instead of a shuffle."""
        if not article_ids:
            raise ValueError("synthetic readers need at least one article id")
        self.mix = mix or TrafficMix()
        self._random = random.Random(seed)  # noqa: S311 - reproducible traffic, not secrets
        self.by_popularity = list(dict.fromkeys(article_ids))
        if published is None:
            # a seeded shuffle, so the most-read article is not simply the first in the file
            self._random.shuffle(self.by_popularity)
        else:
            newest = max(published[article_id] for article_id in self.by_popularity)
            age = {a: (newest - published[a] + 3600) * self._random.lognormvariate(0, 0.7) for a in self.by_popularity}
            self.by_popularity.sort(key=age.__getitem__)
        self.storyline = storyline
        self._clock = clock
        self._phases: list[float] = []
        if storyline is not None:
            missing = {storyline.evergreen, storyline.breaking} - set(self.by_popularity)
            if missing or storyline.evergreen == storyline.breaking:
                raise ValueError(f"the storyline needs two distinct articles of the list (missing: {sorted(missing)})")
            self.by_popularity.remove(storyline.evergreen)
            self.by_popularity.insert(0, storyline.evergreen)
            self._phases = [self._random.uniform(0, 2 * math.pi) for _ in self.by_popularity]
        self._zipf = [1 / (rank**self.mix.zipf_exponent) for rank in range(1, len(self.by_popularity) + 1)]
        self._started = clock()
        self._weights_second: int | None = None
        self._cumulative = list(itertools.accumulate(self.weights_at(0.0).values()))
        self._recent_visitors: deque[Visitor] = deque(maxlen=500)
        self._recent_views: deque[tuple[Visitor, dict[str, Any]]] = deque(maxlen=200)
        self._sent_at = 0.0

    def __iter__(self) -> Iterator[SyntheticRequest]:
        while True:
            yield self.next_request()

    def take(self, count: int) -> list[SyntheticRequest]:
        return [self.next_request() for _ in range(count)]

    def timed(self, start: float, seconds: float, views_per_second: float) -> list[SyntheticRequest]:
        """The requests of ``seconds`` from ``start`` (simulated time) carrying ``views_per_second`` views (crawlers'
        included), each stamped with the moment it is sent: views evenly spread, a batch's at its first view's."""
        requests: list[SyntheticRequest] = []
        wanted = round(views_per_second * seconds)
        sent = 0
        while sent < wanted:
            self._sent_at = start + (sent + 0.5) / views_per_second
            request = self.next_request()
            requests.append(request)
            sent += len(request.document["views"]) if request.kind == "batch" else 1
        self._sent_at = 0.0
        return requests

    def slot_counts(self, views: int, buckets: int = 6) -> dict[str, list[int]]:
        """What a sealed slot's summary holds after ``views`` counted views of these readers: article id -> views per
        5-minute bucket, drawn from their popularity (junk ids at the mix's share). For history, which would take
        too long to send view by view."""
        counts: dict[str, list[int]] = {}
        drawn = self._random.choices(self.by_popularity, cum_weights=self._cumulative, k=views)
        for position, article_id in enumerate(drawn):
            if self._random.random() < self.mix.junk:
                article_id = f"{article_id}-{self._random.getrandbits(24):06x}"
            counts.setdefault(article_id, [0] * buckets)[position % buckets] += 1
        return counts

    def weights_at(self, elapsed: float) -> dict[str, float]:
        """Each article's relative rate ``elapsed`` seconds in, in popularity order (fixed without a storyline)."""
        story = self.storyline
        if story is None:
            return dict(zip(self.by_popularity, self._zipf, strict=True))
        weights: dict[str, float] = {}
        for article_id, base, phase in zip(self.by_popularity, self._zipf, self._phases, strict=True):
            if article_id == story.evergreen:
                weights[article_id] = base
            elif article_id in story.follow_ups:
                weights[article_id] = self._zipf[0] * story.follow_up_shares[story.follow_ups.index(article_id)]
            elif article_id == story.breaking:
                weights[article_id] = self._zipf[0] * story.surge(elapsed)
            else:
                wave = math.sin(2 * math.pi * elapsed / story.drift_seconds + phase)
                weights[article_id] = base * (1 + story.drift_amplitude * wave)
        return weights

    def next_request(self) -> SyntheticRequest:
        roll = self._random.random()
        mix = self.mix
        if roll < mix.bot:
            return self._bot()
        roll -= mix.bot
        if roll < mix.reload and self._recent_views:
            return self._reload()
        roll -= mix.reload
        if roll < mix.retry and self._recent_views:
            return self._retry()
        roll -= mix.retry
        if roll < mix.batch:
            return self._batch()
        roll -= mix.batch
        if roll < mix.engaged and self._recent_views:
            return self._engaged()
        return self._reader()

    # -- kinds ---------------------------------------------------------------------------------------------

    def _reader(self) -> SyntheticRequest:
        visitor = self._visitor()
        view = self._view(self._article())
        self._recent_views.append((visitor, view))
        return SyntheticRequest("reader", visitor, view, self._content_type(), self._sent_at)

    def _reload(self) -> SyntheticRequest:
        visitor, earlier = self._random.choice(self._recent_views)
        view = {**earlier, "event_id": self._event_id()}  # a new page view of the same article
        return SyntheticRequest("reload", visitor, view, self._content_type(), self._sent_at)

    def _retry(self) -> SyntheticRequest:
        _, earlier = self._random.choice(self._recent_views)
        # the same beacon again, arriving from another address (a mobile network switching towers)
        return SyntheticRequest("retry", self._new_visitor(), dict(earlier), self._content_type(), self._sent_at)

    def _batch(self) -> SyntheticRequest:
        visitor = self._visitor()
        wanted = min(self._random.randint(2, self.mix.max_batch), len(self.by_popularity))
        articles: dict[str, None] = {}
        while len(articles) < wanted:  # distinct articles: one page view each, as an infinite scroll sends them
            articles[self._article()] = None
        views = [self._view(article_id) for article_id in articles]
        return SyntheticRequest("batch", visitor, {"views": views}, "application/json", self._sent_at)

    def _engaged(self) -> SyntheticRequest:
        visitor, earlier = self._random.choice(self._recent_views)
        if self._random.random() >= engaged_share(earlier["article_id"]):
            return self._reader()
        report = {"article_id": earlier["article_id"], "event_id": earlier["event_id"], "engaged": True}
        return SyntheticRequest("engaged", visitor, report, self._content_type(), self._sent_at)

    def _bot(self) -> SyntheticRequest:
        visitor = Visitor(self._ip(), self._random.choice(BOT_USER_AGENTS))
        return SyntheticRequest("bot", visitor, {"article_id": self._article()}, "application/json", self._sent_at)

    # -- parts ---------------------------------------------------------------------------------------------

    def _article(self) -> str:
        if self.storyline is not None:
            second = int(self._clock() - self._started)  # rates are recomputed once per second of the clock
            if second != self._weights_second:
                self._weights_second = second
                self._cumulative = list(itertools.accumulate(self.weights_at(second).values()))
        article_id = self._random.choices(self.by_popularity, cum_weights=self._cumulative)[0]
        if self._random.random() < self.mix.junk:
            # a mistyped or stale link: another id every time, as the long tail of junk a site receives
            return f"{article_id}-{self._random.getrandbits(24):06x}"
        return article_id

    def _view(self, article_id: str) -> dict[str, Any]:
        view: dict[str, Any] = {"article_id": article_id, "event_id": self._event_id()}
        roll = self._random.random()
        if roll < self.mix.from_widget:
            view["ref"] = "mostread"
        elif roll < self.mix.from_widget + self.mix.with_referrer:
            view["ref"] = self._random.choice(REFERRERS)
        return view

    def _visitor(self) -> Visitor:
        if self._recent_visitors and self._random.random() < self.mix.returning_visitor:
            return self._random.choice(self._recent_visitors)
        return self._new_visitor()

    def _new_visitor(self) -> Visitor:
        visitor = Visitor(self._ip(), self._random.choice(BROWSER_USER_AGENTS))
        self._recent_visitors.append(visitor)
        return visitor

    def _ip(self) -> str:
        # 10.0.0.0/8: plenty of distinct addresses, none of them anybody's real one
        bits = self._random.getrandbits(24)
        return f"10.{bits >> 16}.{(bits >> 8) & 255}.{(bits & 255) % 254 + 1}"

    def _event_id(self) -> str:
        # like the tracker: 22 characters of [A-Za-z0-9_-] (128 random bits, base64url)
        return base64.urlsafe_b64encode(self._random.getrandbits(128).to_bytes(16, "big")).decode()[:22]

    def _content_type(self) -> str:
        return "text/plain;charset=UTF-8" if self._random.random() < self.mix.beacon else "application/json"


def engaged_share(article_id: str) -> float:
    """The share of an article's readers who stay with it: between 0.2 and 0.9, fixed per article."""
    return 0.2 + 0.7 * (zlib.crc32(article_id.encode()) % 1000) / 1000


def new_seed() -> int:
    return time.time_ns() % 2**32


# --- sending -------------------------------------------------------------------------------------------------


@dataclass
class TrafficTally:
    requests: int = 0
    accepted: int = 0
    duplicate: int = 0
    ignored: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_counts(self, counts: dict[str, Any]) -> None:
        with self._lock:
            self.requests += 1
            self.accepted += int(counts.get("accepted", 0))
            self.duplicate += int(counts.get("duplicate", 0))
            self.ignored += int(counts.get("ignored", 0))

    def add_error(self, description: str) -> None:
        with self._lock:
            self.requests += 1
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(description)

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "ignored": self.ignored,
            "errors": self.errors,
        }


def send(client: ApiClient, request: SyntheticRequest, tally: TrafficTally) -> None:
    try:
        response = client.request("POST", "/v1/views", body=request.body, headers=request.headers)
    except ApiUnavailable as error:
        tally.add_error(str(error))
        return
    if response.status != 202:
        tally.add_error(f"HTTP {response.status} {response.error_code() or ''}".strip())
        return
    tally.add_counts(response.json())


def run_traffic(
    client: ApiClient,
    readers: SyntheticReaders,
    *,
    rate: float,
    duration: float,
    stop: threading.Event | None = None,
    on_sent: Callable[[TrafficTally], None] | None = None,
    tally: TrafficTally | None = None,
) -> TrafficTally:
    """Send ``rate`` requests per second for ``duration`` seconds: ``rate * duration`` requests at most, and
    none started after ``duration``. When the API is slower than the rate, fewer are sent (at most
    ``workers`` wait at once) rather than queueing up. Returns the tally of the API's answers."""
    tally = tally or TrafficTally()
    stop = stop or threading.Event()
    total = max(1, round(rate * duration))
    workers = max(1, min(16, int(rate // 20) + 2))  # ~10-50 ms per request locally: enough to keep pace
    free_workers = threading.BoundedSemaphore(workers)

    def send_one(request: SyntheticRequest) -> None:
        try:
            send(client, request, tally)
            if on_sent is not None:
                on_sent(tally)
        finally:
            free_workers.release()

    started = time.monotonic()
    deadline = started + duration
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reader") as pool:
        for index in range(total):
            if stop.wait(max(0.0, started + index / rate - time.monotonic())):
                break
            if not _wait_for_worker(free_workers, deadline, stop):
                break
            pool.submit(send_one, readers.next_request())
    return tally


def _wait_for_worker(free_workers: threading.BoundedSemaphore, deadline: float, stop: threading.Event) -> bool:
    while not stop.is_set():
        if free_workers.acquire(timeout=0.1):
            if time.monotonic() <= deadline:
                return True
            free_workers.release()
            return False
        if time.monotonic() > deadline:
            return False
    return False


# --- mostread dev --demo -------------------------------------------------------------------------------------

# The demo catalog's dates are moved so that its newest article was published a few minutes ago (the spacing
# kept), and its URLs point to the local article pages, so the demo looks fresh whenever it runs. Its readers follow
# a storyline: the newest story, a threatened bus strike, takes off and climbs to the top of "HOT ISSUE" within
# minutes, while a cold-weather story read steadily since the day before keeps the most views and leads "많이 본
# 뉴스" as one story with its three follow-ups (관련 기사 3건), which would otherwise fill the next places; the other
# articles' shares drift, so most ranking runs move a few places (▲ / ▼ / NEW).
BURST_REQUESTS = 200
BURST_RATE = 100.0
STEADY_RATE = 3.0
NEWEST_ARTICLE_AGE = timedelta(minutes=7)
BREAKING_ARTICLE = "news-1014"  # 광주 시내버스 … 파업: the newest story, taking off
EVERGREEN_ARTICLE = "news-1013"  # 첫 한파특보 …: a day old, read the most, steadily
FOLLOW_UPS = ("news-1037", "news-1038", "news-1039")  # 동파, 난방비, 빙판 낙상: the cold wave's follow-ups
STORYLINE = Storyline(evergreen=EVERGREEN_ARTICLE, breaking=BREAKING_ARTICLE, follow_ups=FOLLOW_UPS)


def demo_catalog(base_url: str, now: datetime, path: Path = CATALOG_FILE) -> list[CatalogEntry]:
    """The demo catalog with its dates moved up to ``now`` and its URLs on the local site."""
    entries = read_catalog_file(path)
    published = [datetime.fromisoformat(entry.body["published_at"]) for entry in entries]
    shift = (now - NEWEST_ARTICLE_AGE) - max(published)
    shift -= timedelta(seconds=shift.total_seconds() % 60)  # whole minutes, as editors write them
    return [
        replace(
            entry,
            body={
                **entry.body,
                "published_at": iso_kst(moment + shift),
                "url": f"{base_url}/articles/{entry.article_id}",
            },
        )
        for entry, moment in zip(entries, published, strict=True)
    ]


def demo_readers(
    entries: list[CatalogEntry],
    seed: int,
    storyline: Storyline | None = STORYLINE,
    clock: Callable[[], float] = time.monotonic,
) -> SyntheticReaders:
    """The demo's readers; the storyline is dropped if its articles are not in the catalog (a replaced catalog)."""
    article_ids = [entry.article_id for entry in entries]
    if storyline is not None and not {storyline.evergreen, storyline.breaking} <= set(article_ids):
        log.warning("demo: the catalog lacks the storyline's articles; popularity stays fixed")
        storyline = None
    # a quarter of the demo's requests are engaged reports, so its 끝까지 읽은 기사 block fills
    return SyntheticReaders(article_ids, seed=seed, mix=TrafficMix(engaged=0.25), storyline=storyline, clock=clock)


class DemoTraffic:
    """The demo catalog loaded through the API, a burst of readers and a first ranking run, then readers for ever."""

    def __init__(self, base_url: str, run_ranking: Callable[[], object], *, seed: int | None = None) -> None:
        self._base_url = base_url
        self._run_ranking = run_ranking
        # A new seed each start: on a shared DynamoDB the previous run's event ids would all be duplicates.
        self._seed = new_seed() if seed is None else seed
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.tally = TrafficTally()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            client = ApiClient(self._base_url)
            entries = demo_catalog(self._base_url, datetime.fromtimestamp(system_clock(), KST))
            refused = [e.article_id for e in entries if client.put_article(e.article_id, e.body).status != 200]
            if refused:
                log.warning("demo: the API refused %d catalog entries: %s", len(refused), ", ".join(refused))
            readers = demo_readers(entries, self._seed)
            burst = BURST_REQUESTS / BURST_RATE
            run_traffic(client, readers, rate=BURST_RATE, duration=burst, stop=self._stopping, tally=self.tally)
            if self._stopping.is_set():
                return
            self._run_ranking()  # so the lists are not empty until the first scheduled run
            log.info("demo: %d articles, first readers %s (seed %d)", len(entries), self.tally.as_dict(), self._seed)
            while not self._stopping.is_set():
                run_traffic(client, readers, rate=STEADY_RATE, duration=60, stop=self._stopping, tally=self.tally)
        except Exception:
            if not self._stopping.is_set():
                log.exception("demo traffic stopped")
