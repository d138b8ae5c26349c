"""The synthetic readers behind `mostread traffic` and `mostread dev --demo`."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from mostread.bots import is_crawler
from mostread.catalog_entry import CatalogEntry
from mostread.models import EVENT_ID_PATTERN, MAX_BATCH, ViewBatchIn, ViewIn
from mostread.ranking import top_articles
from mostread_dev.timefmt import KST
from mostread_dev.traffic import STORYLINE, Storyline, SyntheticReaders, TrafficMix, demo_catalog, demo_readers

ARTICLES = [f"news-{n}" for n in range(1001, 1037)]


def sample(count: int = 5000, seed: int = 1) -> list:
    return SyntheticReaders(ARTICLES, seed=seed).take(count)


def test_the_same_seed_sends_the_same_requests() -> None:
    first = [(r.kind, r.headers, r.body) for r in sample(300, seed=42)]
    again = [(r.kind, r.headers, r.body) for r in sample(300, seed=42)]
    other = [(r.kind, r.headers, r.body) for r in sample(300, seed=43)]
    assert first == again
    assert first != other


def test_popularity_is_zipf_shaped() -> None:
    readers = SyntheticReaders(ARTICLES, seed=3)
    views = Counter(view["article_id"] for request in readers.take(20000) for view in request.views)
    ranked = [views[article_id] for article_id in readers.by_popularity]
    # The most popular article gets about 1/H(36, 1.1) of the views (~25 %), the second about half as many,
    # and the tail still gets some.
    total = sum(ranked)
    assert 0.18 < ranked[0] / total < 0.32
    assert 1.6 < ranked[0] / ranked[1] < 2.6
    assert ranked[0] > ranked[4] > ranked[20] > 0
    assert readers.by_popularity != ARTICLES  # the order is shuffled, not the catalog's


def test_every_kind_of_request_comes_in_about_its_share() -> None:
    requests = sample()
    kinds = Counter(request.kind for request in requests)
    mix = TrafficMix()
    assert abs(kinds["bot"] / len(requests) - mix.bot) < 0.015
    assert abs(kinds["reload"] / len(requests) - mix.reload) < 0.02
    assert abs(kinds["batch"] / len(requests) - mix.batch) < 0.015
    assert kinds["retry"] > 0
    assert kinds["reader"] > len(requests) / 2


def test_bots_use_crawler_user_agents_and_readers_do_not() -> None:
    requests = sample(2000)
    assert all(is_crawler(r.visitor.user_agent) for r in requests if r.kind == "bot")
    assert not any(is_crawler(r.visitor.user_agent) for r in requests if r.kind != "bot")
    assert any("Yeti" in r.visitor.user_agent for r in requests if r.kind == "bot")


def test_reloads_repeat_a_visitor_and_article_with_a_new_event_id() -> None:
    requests = sample(2000)
    seen = {(r.visitor, r.document["article_id"]): r.document["event_id"] for r in requests if r.kind == "reader"}
    reloads = [r for r in requests if r.kind == "reload"]
    assert reloads
    for reload in reloads:
        key = (reload.visitor, reload.document["article_id"])
        assert key in seen
        assert reload.document["event_id"] != seen[key]


def test_retries_resend_an_event_id_from_another_address() -> None:
    requests = sample(2000)
    first_sender = {}
    for request in requests:
        for view in request.views:
            first_sender.setdefault(view["event_id"], request.visitor.ip) if "event_id" in view else None
    retries = [r for r in requests if r.kind == "retry"]
    assert retries
    for retry in retries:
        assert first_sender[retry.document["event_id"]] != retry.visitor.ip


def test_many_distinct_visitors_and_some_returning() -> None:
    requests = sample(3000)
    addresses = Counter(request.visitor.ip for request in requests)
    assert len(addresses) > 1500
    assert max(addresses.values()) > 1


def test_refs_include_clicks_on_the_widget() -> None:
    refs = Counter(view.get("ref") for request in sample(3000) for view in request.views)
    assert 0.06 < refs["mostread"] / sum(refs.values()) < 0.14
    assert refs[None] > refs["mostread"]


def test_every_body_is_valid_for_the_contract() -> None:
    for request in sample(3000):
        document = json.loads(request.body)
        if "views" in document:
            batch = ViewBatchIn.model_validate(document)
            assert 2 <= len(batch.views) <= min(5, MAX_BATCH)
            assert len({view.article_id for view in batch.views}) == len(batch.views)
        else:
            ViewIn.model_validate(document)
        for view in request.views:
            if "event_id" in view:
                assert re.fullmatch(EVENT_ID_PATTERN.strip("^$"), view["event_id"])
                assert len(view["event_id"]) == 22
        assert request.headers["content-type"].split(";")[0] in ("application/json", "text/plain")
        assert request.headers["x-forwarded-for"].startswith("10.")


# --- the demo's storyline: trending differs from most read, and the lists keep moving ----------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


STORY = Storyline(evergreen="news-1013", breaking="news-1014")


def story_readers(seed: int = 5, story: Storyline = STORY) -> tuple[SyntheticReaders, FakeClock]:
    clock = FakeClock()
    return SyntheticReaders(ARTICLES, seed=seed, storyline=story, clock=clock), clock


def views_between(
    readers: SyntheticReaders, clock: FakeClock, start: float, end: float, rate: float = 20
) -> Counter[str]:
    """Views per article of the requests sent from ``start`` to ``end`` seconds in, ``rate`` per second."""
    views: Counter[str] = Counter()
    for index in range(round((end - start) * rate)):
        clock.now = 1000.0 + start + index / rate
        request = readers.next_request()
        if request.kind != "bot":
            views.update(view["article_id"] for view in request.views)
    return views


def test_the_breaking_story_surges_faster_and_faster_then_holds() -> None:
    rates = [STORY.surge(second) for second in range(0, 361, 60)]
    assert rates[0] == STORY.surge_start
    assert rates[-1] == STORY.surge_peak == STORY.surge(3600)
    steps = [later - earlier for earlier, later in pairwise(rates)]
    assert all(later > earlier > 0 for earlier, later in pairwise(steps))  # accelerating
    assert STORY.surge(-5) == STORY.surge_start
    readers, _ = story_readers()
    for second in (0, 60, 180, 360, 3600):
        weights = readers.weights_at(second)
        assert weights["news-1014"] == pytest.approx(weights["news-1013"] * STORY.surge(second))
        assert max(weights, key=weights.__getitem__) == "news-1013"  # the evergreen always has the most


def test_with_a_storyline_the_evergreen_leads_and_the_breaking_story_takes_off() -> None:
    readers, clock = story_readers()
    assert readers.by_popularity[0] == "news-1013"
    first = views_between(readers, clock, 0, 60)
    later = views_between(readers, clock, 540, 600)
    share = {
        name: (views["news-1014"] / sum(views.values()), views["news-1013"] / sum(views.values()))
        for name, views in (("first", first), ("later", later))
    }
    assert share["later"][0] > 3 * share["first"][0]  # the breaking story's share grew
    assert share["later"][1] == pytest.approx(share["first"][1], rel=0.3)  # the evergreen's is steady
    for views in (first, later):
        assert views.most_common(1)[0][0] == "news-1013"  # most views: the evergreen, before and after


def test_the_other_articles_drift_so_neighbours_trade_places() -> None:
    readers, _ = story_readers()
    others = [article_id for article_id in readers.by_popularity if article_id not in ("news-1013", "news-1014")]

    def order(second: float) -> list[str]:
        weights = readers.weights_at(second)
        return sorted(others, key=lambda article_id: -weights[article_id])

    orders = [order(second) for second in range(0, 901, 60)]
    assert sum(earlier != later for earlier, later in pairwise(orders)) >= 10
    assert order(0) == order(STORY.drift_seconds)  # a cycle, not a walk away from Zipf
    exponent = readers.mix.zipf_exponent
    for second in range(0, 901, 30):  # within drift_amplitude of the article's Zipf rate
        weights = readers.weights_at(second)
        for article_id in others:
            zipf = 1 / (readers.by_popularity.index(article_id) + 1) ** exponent
            assert abs(weights[article_id] / zipf - 1) <= STORY.drift_amplitude + 1e-9


def test_with_a_storyline_the_same_seed_and_clock_send_the_same_requests() -> None:
    def run(seed: int) -> list[tuple[str, bytes]]:
        readers, clock = story_readers(seed)
        sent: list[tuple[str, bytes]] = []
        for index in range(600):
            clock.now = 1000.0 + index * 0.7
            request = readers.next_request()
            sent.append((request.kind, request.body))
        return sent

    assert run(9) == run(9)
    assert run(9) != run(10)


def test_a_storyline_keeps_the_mix() -> None:
    readers, clock = story_readers()
    requests = []
    for index in range(3000):
        clock.now = 1000.0 + index / 3
        requests.append(readers.next_request())
    kinds = Counter(request.kind for request in requests)
    assert {"bot", "reload", "retry", "batch", "reader"} <= set(kinds)
    refs = Counter(view.get("ref") for request in requests for view in request.views)
    assert refs["mostread"] > 0


def test_a_storyline_needs_two_articles_of_the_list() -> None:
    with pytest.raises(ValueError, match="storyline"):
        SyntheticReaders(ARTICLES, storyline=Storyline(evergreen="news-1013", breaking="nope"))
    with pytest.raises(ValueError, match="storyline"):
        SyntheticReaders(ARTICLES, storyline=Storyline(evergreen="news-1013", breaking="news-1013"))


def test_without_a_storyline_popularity_never_changes() -> None:
    clock = FakeClock()
    readers = SyntheticReaders(ARTICLES, seed=3, clock=clock)
    before = readers.weights_at(0)
    clock.now += 10_000
    assert readers.weights_at(5000) == before
    assert list(before) == readers.by_popularity


def test_the_demo_storyline_fits_the_demo_catalog() -> None:
    entries = demo_catalog("http://127.0.0.1:3000", datetime(2030, 1, 1, 12, 0, tzinfo=KST))
    published = {entry.article_id: datetime.fromisoformat(entry.body["published_at"]) for entry in entries}
    # The breaking story is the newest article (the front page's lead); the evergreen is a day older or more.
    assert max(published, key=published.__getitem__) == STORYLINE.breaking
    assert published[STORYLINE.breaking] - published[STORYLINE.evergreen] > timedelta(days=1)
    readers = demo_readers(entries, seed=1, clock=FakeClock())
    assert readers.storyline == STORYLINE
    # A catalog without those articles (a site's own) gets plain Zipf readers rather than an error.
    others = [entry for entry in entries if entry.article_id not in (STORYLINE.breaking, STORYLINE.evergreen)]
    assert demo_readers(others, seed=1).storyline is None


def test_the_demo_story_collapses_in_the_most_read_list() -> None:
    """The cold wave (the evergreen) and its three follow-ups share a story_id, and the follow-ups are read enough
    that, uncollapsed, they would stand among the first places: collapsed, the list shows the story once."""
    entries = demo_catalog("http://127.0.0.1:3000", datetime(2030, 1, 1, 12, 0, tzinfo=KST))
    stories = {entry.article_id: entry.body.get("story_id") for entry in entries}
    story = stories[STORYLINE.evergreen]
    assert story is not None and all(stories[article_id] == story for article_id in STORYLINE.follow_ups)
    assert sum(value == story for value in stories.values()) == 4
    readers = demo_readers(entries, seed=1, clock=FakeClock())
    views = Counter(view["article_id"] for request in readers.take(20000) for view in request.views)
    catalog = {
        entry.article_id: CatalogEntry(
            entry.article_id,
            entry.body["section"],
            datetime.fromisoformat(entry.body["published_at"]).timestamp(),
            "v",
            entry.body.get("story_id"),
        )
        for entry in entries
    }
    uncollapsed = sorted((id_ for id_ in views if id_ in catalog), key=lambda id_: -views[id_])
    assert uncollapsed[0] == STORYLINE.evergreen and set(STORYLINE.follow_ups) <= set(uncollapsed[:6])
    top = top_articles(views, catalog, 10)
    assert (top[0].article_id, top[0].story_id, top[0].story_articles) == (STORYLINE.evergreen, story, 4)
    assert not {item.article_id for item in top} & set(STORYLINE.follow_ups)
