"""A loopback load test of POST /v1/views on `mostread dev`: concurrent clients in a burst, and every view counted
exactly once.

Eight client threads start together (a burst, as when a story breaks) and send about 650 requests carrying about
850 views, as fast as the one-process local stack answers them: 13-17 s measured with the two cores shared with
other test runs (40-50 requests/s), a few seconds at the 200 requests/s the stack serves on an idle machine. The
traffic, drawn from a seeded generator:

* 240 visitors, each its own (X-Forwarded-For, User-Agent): two browsers behind each of 120 documentation
  addresses (198.51.100.0/24, 203.0.113.0/24; the local stack trusts one X-Forwarded-For hop), so no
  (address, article) pair comes near MaxViewsPerAddress (20 visitors of one article per address per dedupe period);
* each visitor reads one to six of twelve articles, each article once: single views and batches of two to five,
  as application/json and as text/plain (sendBeacon), a tenth with ref=mostread (widget clicks: counted for the
  article, kept out of the lists), most with an event_id and some without;
* a tenth of the requests sent twice: with their event_ids (a retry, possibly racing the first send on another
  thread), or without (a reload in the same dedupe slot): the second answer is all `duplicate`;
* a few requests from a crawler, answered `ignored`.

Every view is countable (one per visitor and article), so after draining the stream and a ranking run each
article's counts (GET /v1/articles/{id}/views) equal the views answered `accepted` for it, and its place in the
section's list equals the same count without the widget clicks. Zero 5xx, zero connection errors.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.e2e.support import CHROME, Api, article_body, avoid_dedupe_slot_boundary, hours_ago, unique

pytestmark = pytest.mark.e2e

SEED = 20261127
CLIENTS = 8
ARTICLES = 12
ADDRESSES = [f"198.51.100.{n}" for n in range(1, 61)] + [f"203.0.113.{n}" for n in range(1, 61)]
BROWSERS_PER_ADDRESS = 2
RETRIED = 0.10
WIDGET_CLICKS = 0.10
WITHOUT_EVENT_ID = 0.15
CRAWLER_REQUESTS = 20
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
TIME_BUDGET_SECONDS = 45  # the slot margin: the whole burst lands in one dedupe slot


@dataclass
class Send:
    """One logical request: one visitor's views, sent once or twice (a retry or a reload)."""

    visitor: tuple[str, str]  # X-Forwarded-For, User-Agent
    views: list[dict[str, str]]
    batch: bool
    content_type: str
    times: int = 1
    crawler: bool = False
    answers: list[dict[str, int]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {"views": self.views} if self.batch else self.views[0]


def browser(number: int) -> str:
    # distinct, ordinary desktop browsers: the visitor is (address, User-Agent)
    return CHROME.replace("Chrome/131.0.0.0", f"Chrome/131.0.{number}.0")


def traffic(articles: list[str], rng: random.Random) -> list[Send]:
    sends: list[Send] = []
    visitors = [(address, browser(n)) for address in ADDRESSES for n in range(BROWSERS_PER_ADDRESS)]
    for visitor in visitors:
        read = rng.sample(articles, rng.randint(1, 6))  # each article at most once per visitor
        with_event_ids = rng.random() >= WITHOUT_EVENT_ID
        while read:
            size = 1 if len(read) == 1 or rng.random() < 0.6 else rng.randint(2, min(5, len(read)))
            chosen, read = read[:size], read[size:]
            views = []
            for article_id in chosen:
                view = {"article_id": article_id}
                if with_event_ids:
                    view["event_id"] = uuid.UUID(int=rng.getrandbits(128)).hex
                if rng.random() < WIDGET_CLICKS:
                    view["ref"] = "mostread"
                views.append(view)
            content_type = rng.choice(["application/json", "text/plain;charset=UTF-8"])
            sends.append(Send(visitor, views, size > 1 or rng.random() < 0.2, content_type))
    for send in rng.sample(sends, round(RETRIED * len(sends))):
        send.times = 2
    for _ in range(CRAWLER_REQUESTS):
        address = rng.choice(ADDRESSES)
        view = {"article_id": rng.choice(articles), "event_id": uuid.UUID(int=rng.getrandbits(128)).hex}
        sends.append(Send((address, CRAWLER), [view], False, "application/json", crawler=True))
    return sends


def run_clients(base_url: str, sends: list[Send], rng: random.Random) -> tuple[list[int], list[str], float]:
    """Send everything from CLIENTS threads that start together; a retry goes out right after its first send, or
    from another thread (racing it)."""
    work: list[list[Send]] = [[] for _ in range(CLIENTS)]
    order = sends[:]
    rng.shuffle(order)
    for number, send in enumerate(order):
        work[number % CLIENTS].append(send)
        if send.times == 2:
            work[(number + rng.choice([0, 1])) % CLIENTS].append(send)
    statuses: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(queue: list[Send]) -> None:
        api = Api(base_url)  # a session (keep-alive connection) per client
        start.wait()
        for send in queue:
            try:
                response = api.view(send.body(), visitor=send.visitor[0], user_agent=send.visitor[1],
                                    content_type=send.content_type)  # fmt: skip
            except requests.RequestException as error:
                with lock:
                    errors.append(repr(error))
                continue
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 202:
                    send.answers.append(response.json())
                else:
                    errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(queue,), name=f"client-{n}") for n, queue in enumerate(work)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(TIME_BUDGET_SECONDS)
    seconds = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), f"clients still sending after {TIME_BUDGET_SECONDS} s"
    return statuses, errors, seconds


def test_a_burst_of_concurrent_clients_is_counted_exactly(api: Api, record_property: Any) -> None:
    rng = random.Random(SEED)
    section = unique("load")
    articles = [unique(f"load-{n:02d}") for n in range(ARTICLES)]
    for number, article_id in enumerate(articles):
        published = hours_ago(1 + number / 10)
        stored = api.put_article(article_id, article_body(f"부하 시험 {number}", section, published))
        assert stored.status_code == 200, stored.text
    sends = traffic(articles, rng)
    requests_sent = sum(send.times for send in sends)
    avoid_dedupe_slot_boundary(margin=TIME_BUDGET_SECONDS)

    statuses, errors, seconds = run_clients(api.base_url, sends, rng)

    record_property("requests", requests_sent)
    record_property("seconds", round(seconds, 2))
    print(f"load: {requests_sent} requests from {CLIENTS} clients in {seconds:.1f} s ({requests_sent / seconds:.0f}/s)")
    assert not errors, f"{len(errors)} failed requests, e.g. {errors[:5]}"
    assert len(statuses) == requests_sent and set(statuses) == {202}, Counter(statuses)

    counted: Counter[str] = Counter()  # views answered accepted, per article
    listed: Counter[str] = Counter()  # the same without widget clicks: what the lists count
    for send in sends:
        total = Counter[str]()
        for answer in send.answers:
            total.update(answer)
        views = len(send.views)
        if send.crawler:
            assert total == Counter(ignored=views * send.times), send
            continue
        # one view answered accepted exactly once, however the two sends of a retry interleaved
        assert total == Counter(accepted=views, duplicate=views * (send.times - 1)), send
        for view in send.views:
            counted[view["article_id"]] += 1
            if view.get("ref") != "mostread":
                listed[view["article_id"]] += 1

    drained = api.request("POST", "/_local/drain")
    assert drained.status_code == 200, drained.text
    api.rank()

    for article_id in articles:
        views = api.views_of(article_id)
        assert views == {"1h": counted[article_id], "24h": counted[article_id], "7d": counted[article_id]}, article_id
    page = api.rankings(kind="most_read", window="1h", section=section, limit="50")
    assert {item["article_id"]: item["views"] for item in page["items"]} == {
        article_id: views for article_id, views in listed.items() if views
    }
    assert sum(counted.values()) > 700  # the burst was as big as designed
