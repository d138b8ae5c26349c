"""Freshness rotation over HTTP on DynamoDB Local: `mostread dev --parameter FreshnessTopHours=0.002` (7.2 s), so
the stories standing in a most-read list's top 3 move to place 4 within seconds instead of hours."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.support import Api, article_body, running_dev_server

pytestmark = pytest.mark.e2e

HOLD_SECONDS = 0.002 * 3600


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # rankings only on request, after the scheduler's first run: no run starts a clock the test did not ask for
    options = ("--parameter", "FreshnessTopHours=0.002")
    with running_dev_server(tmp_path_factory.mktemp("freshness"), "mostread dev, freshness", *options) as server:
        yield Api(server.base_url)


def test_the_top_three_move_to_place_four_after_the_hours_and_pins_still_win(api: Api) -> None:
    ids = [f"fresh-{letter}" for letter in "abcdef"]
    for views, article_id in zip(range(6, 0, -1), ids, strict=True):
        assert api.put_article(article_id, article_body(f"기사 {article_id}", "fresh")).status_code == 200
        for visitor in range(views):
            assert api.view({"article_id": article_id}, visitor=f"198.51.100.{visitor + 1}").status_code == 202
    started = time.monotonic()  # the clocks start at this run's time, or later
    api.rank()

    def listed() -> list[str]:
        return [item["article_id"] for item in api.rankings(window="1h", section="fresh")["items"]]

    assert listed() == ids  # by views: the clocks of a, b and c start now
    deadline = started + HOLD_SECONDS + 30
    while time.monotonic() < deadline:
        api.rank()
        if listed() != ids:
            break
        time.sleep(1)  # the stack's clock is the wall clock: the 7.2 s must pass
    assert time.monotonic() - started > HOLD_SECONDS
    a, b, c, d, e, f = ids
    assert listed() == [d, e, f, a, b, c]  # past the hours: at place 4, keeping their order and their views
    views = {item["article_id"]: item["views"] for item in api.rankings(window="1h", section="fresh")["items"]}
    assert views == dict(zip(ids, range(6, 0, -1), strict=True))

    pin = {"kind": "most_read", "window": "1h", "section": "fresh", "position": 1, "until": "2099-01-01T00:00:00Z"}
    assert api.request("PUT", f"/v1/editorial/pins/{a}", json=pin).status_code == 200
    api.rank()
    assert listed() == [a, d, e, f, b, c]  # a pin wins over the rotation
