"""Synthetic readers: what many article pages send to ``POST /v1/views``, reproducible from a seed.

Article popularity follows a Zipf law (a few articles get most views, as on a news site). Most requests are
readers with a visitor of their own (a distinct X-Forwarded-For and browser User-Agent) sending one view the
way the tracker does; some are reloads (the same visitor and article again, a new event id), retries (the same
event id again, from another address), batches of several views, clicks from the widget itself
(``ref=mostread``), and crawlers (Googlebot, Naver's Yeti, ...) that the API must ignore.

With a ``Storyline`` (``mostread dev --demo``) popularity changes while the traffic runs, so that the trending
("HOT ISSUE") lists differ from the most-read ones and the lists keep moving: an evergreen article is read the most,
steadily; a breaking story takes off, faster and faster, without ever catching up with it; every other article's
share drifts up and down. The clock is injected, so the same seed and the same clock readings send the same
requests.

``SyntheticReaders`` only decides what to send (pure, unit tested); ``run_traffic`` sends it at a rate.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from mostread_dev.api_client import ApiClient, ApiUnavailable

RequestKind = Literal["reader", "reload", "retry", "batch", "bot"]

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
EVENT_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


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
    zipf_exponent: float = 1.1
    max_batch: int = 5


@dataclass(frozen=True)
class Storyline:
    """How popularity changes over time (seconds since the readers were created, on the injected clock).

    - ``evergreen`` is read the most, at a steady rate: it leads the most-read lists.
    - ``breaking`` takes off: its rate grows quadratically (accelerating) from ``surge_start`` to ``surge_peak``
      times the evergreen's over ``surge_seconds``, then holds. It never has the most views, but its views are
      new ones: it leads the trending lists.
    - Every other article keeps its Zipf rate, times ``1 + drift_amplitude * sin(2 pi t / drift_seconds + phase)``
      with a seeded phase of its own, so neighbours in the lists trade places now and then.
    """

    evergreen: str
    breaking: str
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not article_ids:
            raise ValueError("synthetic readers need at least one article id")
        self.mix = mix or TrafficMix()
        self._random = random.Random(seed)  # noqa: S311 - reproducible traffic, not secrets
        # Popularity order is a seeded shuffle, so the most-read article is not simply the first in the file.
        self.by_popularity = list(dict.fromkeys(article_ids))
        self._random.shuffle(self.by_popularity)
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

    def __iter__(self) -> Iterator[SyntheticRequest]:
        while True:
            yield self.next_request()

    def take(self, count: int) -> list[SyntheticRequest]:
        return [self.next_request() for _ in range(count)]

    def weights_at(self, elapsed: float) -> dict[str, float]:
        """Each article's relative rate ``elapsed`` seconds in, in popularity order (fixed without a storyline)."""
        story = self.storyline
        if story is None:
            return dict(zip(self.by_popularity, self._zipf, strict=True))
        weights: dict[str, float] = {}
        for article_id, base, phase in zip(self.by_popularity, self._zipf, self._phases, strict=True):
            if article_id == story.evergreen:
                weights[article_id] = base
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
        return self._reader()

    # -- kinds ---------------------------------------------------------------------------------------------

    def _reader(self) -> SyntheticRequest:
        visitor = self._visitor()
        view = self._view(self._article())
        self._recent_views.append((visitor, view))
        return SyntheticRequest("reader", visitor, view, self._content_type())

    def _reload(self) -> SyntheticRequest:
        visitor, earlier = self._random.choice(self._recent_views)
        view = {**earlier, "event_id": self._event_id()}  # a new page view of the same article
        return SyntheticRequest("reload", visitor, view, self._content_type())

    def _retry(self) -> SyntheticRequest:
        _, earlier = self._random.choice(self._recent_views)
        # the same beacon again, arriving from another address (a mobile network switching towers)
        return SyntheticRequest("retry", self._new_visitor(), dict(earlier), self._content_type())

    def _batch(self) -> SyntheticRequest:
        visitor = self._visitor()
        wanted = min(self._random.randint(2, self.mix.max_batch), len(self.by_popularity))
        articles: dict[str, None] = {}
        while len(articles) < wanted:  # distinct articles: one page view each, as an infinite scroll sends them
            articles[self._article()] = None
        views = [self._view(article_id) for article_id in articles]
        return SyntheticRequest("batch", visitor, {"views": views}, "application/json")

    def _bot(self) -> SyntheticRequest:
        visitor = Visitor(self._ip(), self._random.choice(BOT_USER_AGENTS))
        return SyntheticRequest("bot", visitor, {"article_id": self._article()}, "application/json")

    # -- parts ---------------------------------------------------------------------------------------------

    def _article(self) -> str:
        if self.storyline is not None:
            second = int(self._clock() - self._started)  # rates are recomputed once per second of the clock
            if second != self._weights_second:
                self._weights_second = second
                self._cumulative = list(itertools.accumulate(self.weights_at(second).values()))
        return self._random.choices(self.by_popularity, cum_weights=self._cumulative)[0]

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
        rand = self._random
        return f"10.{rand.randrange(256)}.{rand.randrange(256)}.{rand.randrange(1, 255)}"

    def _event_id(self) -> str:
        # like the tracker: 22 characters of [A-Za-z0-9_-]
        return "".join(self._random.choices(EVENT_ID_ALPHABET, k=22))

    def _content_type(self) -> str:
        return "text/plain;charset=UTF-8" if self._random.random() < self.mix.beacon else "application/json"


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
