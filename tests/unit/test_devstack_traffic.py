"""The synthetic readers behind `mostread traffic` and `mostread dev --demo`."""

from __future__ import annotations

import json
import re
from collections import Counter

from mostread.bots import is_crawler
from mostread.models import EVENT_ID_PATTERN, MAX_BATCH, ViewBatchIn, ViewIn
from mostread_dev.traffic import SyntheticReaders, TrafficMix

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
