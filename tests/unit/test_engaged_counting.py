"""Engaged readers end to end on the in-memory fake: the tracker's outcomes, the stream's MODIFY records, the
counting rules for engaged rows, and the engaged lists with their read rates."""

from __future__ import annotations

import pytest
from mostread.counting import (
    article_of_key,
    capped_key,
    capped_totals,
    count_slot,
    derived_keys,
    engaged_key,
    engaged_totals,
    is_article_key,
    reference_counts,
)
from mostread.errors import ClientError
from mostread.models import ViewIn, validate
from mostread.ranking import read_rate
from mostread.services.tracking import Reader, record_views
from mostread.timebuckets import Slot

from tests.harness import CHROME, T0, Clock
from tests.pipeline import SALT, TABLE, FakePipeline

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> FakePipeline:
    made = FakePipeline(monkeypatch, Clock(T0 + 60), MAX_VIEWS_PER_ADDRESS="2")
    made.register("a")
    made.register("b", section="sports")
    return made


def published_item(pipeline: FakePipeline, kind: str, window: str, article_id: str) -> dict[str, object]:
    from mostread.dal import published

    document = published.get_list(pipeline.db, kind, window, None)
    assert document is not None
    [item] = [item for item in document["items"] if item["article_id"] == article_id]
    return dict(item)


# -- count keys ------------------------------------------------------------------------------------------------


def test_engaged_keys_map_back_to_their_article_and_stay_apart() -> None:
    assert engaged_key("a:1") == "~a:1"
    assert not is_article_key("~a:1")
    assert article_of_key("~a:1") == article_of_key("!~a:1") == article_of_key("@a:1") == "a:1"
    assert capped_key(engaged_key("a")) != capped_key("a")
    assert set(derived_keys("a")) == {"a", "@a", "!a", "~a", "!~a"}
    totals = {"a": 5, "!a": 2, "~a": 3, "!~a": 1, "@a": 1}
    assert capped_totals(totals) == {"a": 2}  # capped engaged reports are not capped views
    assert engaged_totals(totals) == {"a": 3}


def test_read_rate_is_a_ratio_from_0_to_1() -> None:
    assert read_rate(0, 10) == 0.0
    assert read_rate(5, 8) == 0.625
    assert read_rate(2, 3) == 0.667
    assert read_rate(4, 3) == 1.0  # a window's edge can cut a slot: clamped
    assert read_rate(1, 0) == 1.0


def test_engaged_rows_count_once_per_visitor_and_under_the_cap() -> None:
    slot = Slot(int(T0), 1800)
    ms = int(T0 * 1000)
    # three visitors behind one address, each engaged twice (two page views), a fourth elsewhere
    rows = [
        [article, f"{visitor:02x}" + "0" * 14, ms + 1000 * n, f"e:{visitor}-{n}", "00000000000000aa", "", 1]
        for visitor in (1, 2, 3)
        for n in (1, 2)
        for article in ("a", "~a")
    ]
    rows.append(["a", "09" + "0" * 14, ms, "e:9", "00000000000000bb", "", 1])
    rows.append(["~a", "09" + "0" * 14, ms, "e:9", "00000000000000bb", "", 1])
    counts = reference_counts(rows + rows, slot, cap=2)  # every row twice: a redelivery
    assert count_slot(list(reversed(rows)) + rows, slot, cap=2) == counts
    assert sum(counts["~a"]) == 3  # visitors 1, 2 (the cap of 2 behind one address) and 9
    assert sum(counts["!~a"]) == 1
    assert sum(counts["a"]) == 3 and sum(counts["!a"]) == 1


# -- the tracker -----------------------------------------------------------------------------------------------


def test_engaged_report_outcomes(pipeline: FakePipeline) -> None:
    assert pipeline.view("a", 1, event_id="page-0001").accepted == 1
    assert pipeline.engaged("a", "page-0001", 1).accepted == 1
    assert pipeline.engaged("a", "page-0001", 1).duplicate == 1  # a second report of the same page view
    assert pipeline.engaged("a", "page-0001", 7, address=99).duplicate == 1  # a retry from elsewhere
    assert pipeline.engaged("a", "page-9999", 1).ignored == 1  # no such page view
    assert pipeline.engaged("b", "page-0001", 1).ignored == 1  # a page view of another article
    item = pipeline.fake.get_item(TableName=TABLE, Key={"pk": {"S": "view#e:page-0001"}, "sk": {"S": "-"}})["Item"]
    assert item["g"] == {"N": str(int(pipeline.clock() * 1000))}
    assert list(pipeline.fake.items(TABLE, "view#e:page-9999")) == []  # an ignored report writes nothing
    assert [record["eventName"] for record in pipeline.stream] == ["INSERT", "MODIFY"]


def test_bots_engaged_reports_are_ignored_without_a_write(pipeline: FakePipeline) -> None:
    pipeline.view("a", 1, event_id="page-0001")
    calls = len(pipeline.fake.calls)
    view = ViewIn(article_id="a", event_id="page-0001", engaged=True)
    answer = record_views([view], Reader("198.51.0.1", BOT, {}), pipeline.clock(), salt_for_day=lambda *_: SALT)
    assert (answer.accepted, answer.duplicate, answer.ignored) == (0, 0, 1)
    assert len(pipeline.fake.calls) == calls


def test_a_batch_with_a_page_view_and_its_engaged_report_counts_both(pipeline: FakePipeline) -> None:
    views = [
        ViewIn(article_id="a", event_id="page-0002", engaged=True),  # first in the batch, handled after the view
        ViewIn(article_id="a", event_id="page-0002"),
        ViewIn(article_id="b", event_id="page-0003", engaged=True),  # no such page view
    ]
    answer = record_views(
        views,
        Reader("198.51.0.2", CHROME, {}),
        pipeline.clock(),
        salt_for_day=lambda *_: SALT,
        store=pipeline._store,
        engage=pipeline._engage,
    )
    assert (answer.accepted, answer.duplicate, answer.ignored) == (2, 0, 1)


def test_engaged_report_needs_an_event_id() -> None:
    with pytest.raises(ClientError) as raised:
        validate(ViewIn, {"article_id": "a", "engaged": True})
    assert raised.value.field == "event_id"
    with pytest.raises(ClientError) as raised:
        validate(ViewIn, {"article_id": "a", "event_id": "page-0001", "engaged": "true"})
    assert raised.value.field == "engaged"
    assert validate(ViewIn, {"article_id": "a", "engaged": False}).engaged is False


# -- ingest and ranking ---------------------------------------------------------------------------------------


def test_engaged_list_with_read_rate_and_page_views_unchanged(pipeline: FakePipeline) -> None:
    for visitor in range(1, 9):
        pipeline.view("a", visitor, event_id=f"page-a{visitor:03d}")
    for visitor in range(1, 5):
        pipeline.view("b", visitor, event_id=f"page-b{visitor:03d}", ref="mostread" if visitor == 1 else None)
    pipeline.rank()
    before = {window: pipeline.listed("most_read", window) for window in ("1h", "24h", "7d")}
    counts_before = {article_id: pipeline.counts(article_id) for article_id in ("a", "b")}
    assert before["24h"] == [("a", 8), ("b", 3)]  # the widget click is left out of the lists

    for visitor in range(1, 6):
        pipeline.engaged("a", f"page-a{visitor:03d}", visitor)
    pipeline.engaged("b", "page-b001", 1)
    pipeline.engaged("b", "page-b001", 1)  # duplicate
    records = pipeline.take_stream()
    assert len(records) == 6
    pipeline.deliver(records)
    pipeline.deliver(records[-3:])  # a redelivered batch
    pipeline.rank(deliver=False)

    assert pipeline.listed("engaged", "24h") == [("a", 5), ("b", 1)]
    assert pipeline.listed("engaged", "24h", "sports") == [("b", 1)]
    assert published_item(pipeline, "engaged", "1h", "a")["read_rate"] == 0.625
    # the read rate divides by every counted view, the widget click included (engaged rows carry no ref)
    assert published_item(pipeline, "engaged", "1h", "b")["read_rate"] == 0.25
    assert "read_rate" not in published_item(pipeline, "most_read", "1h", "a")
    assert {window: pipeline.listed("most_read", window) for window in ("1h", "24h", "7d")} == before
    assert {article_id: pipeline.counts(article_id) for article_id in ("a", "b")} == counts_before


def test_engaged_readers_are_capped_per_address(pipeline: FakePipeline) -> None:
    for visitor in range(1, 6):  # five readers behind one office address: the cap is 2
        pipeline.view("a", visitor, event_id=f"page-{visitor:04d}", address=50)
        pipeline.engaged("a", f"page-{visitor:04d}", visitor, address=50)
    pipeline.rank()
    assert pipeline.listed("engaged", "24h") == [("a", 2)]
    assert published_item(pipeline, "engaged", "24h", "a")["read_rate"] == 1.0


def test_a_late_engaged_report_reseals_its_page_views_slot(pipeline: FakePipeline) -> None:
    pipeline.view("a", 1, event_id="page-0001")
    pipeline.view("a", 2, event_id="page-0002")
    pipeline.rank()
    pipeline.clock.advance(1800 + 300)  # the slot ended and its grace period passed: sealed
    report = pipeline.rank()
    assert report.slots_sealed == 1
    assert pipeline.listed("engaged", "24h") == []
    pipeline.engaged("a", "page-0001", 1)  # the reader stayed long; the report comes in the next slot
    report = pipeline.rank()
    assert report.slots_resealed == 1
    assert pipeline.listed("engaged", "24h") == [("a", 1)]
    assert published_item(pipeline, "engaged", "24h", "a")["read_rate"] == 0.5
    assert pipeline.counts("a")["24h"] == 2


def test_engaged_rows_of_an_uncatalogued_id_count_once_it_registers(pipeline: FakePipeline) -> None:
    pipeline.view("c", 1, event_id="page-0001")
    pipeline.engaged("c", "page-0001", 1)
    pipeline.rank()
    pipeline.clock.advance(1800 + 300)
    pipeline.rank()  # sealed while "c" is not catalogued: its rows are in the uncatalogued part
    assert pipeline.listed("engaged", "24h") == []
    pipeline.register("c")
    pipeline.rank()
    assert pipeline.listed("engaged", "24h") == [("c", 1)]
    assert pipeline.counts("c")["24h"] == 1


def test_engaged_lists_take_pins_and_exclusions(pipeline: FakePipeline) -> None:
    from mostread.dal import editorial
    from mostread.editorial_models import Exclusion, Pin

    for visitor in range(1, 4):
        pipeline.view("a", visitor, event_id=f"page-a{visitor:03d}")
        pipeline.engaged("a", f"page-a{visitor:03d}", visitor)
    pipeline.view("b", 1, event_id="page-b001")
    pipeline.register("c")
    pipeline.view("c", 1, event_id="page-c001")
    pipeline.engaged("c", "page-c001", 1)
    until = "2026-11-28T12:00:00+00:00"
    editorial.put_pin(pipeline.db, Pin(article_id="b", kind="engaged", window="24h", position=1, until=until))
    editorial.put_exclusion(pipeline.db, Exclusion(article_id="c", until=None, reason=None))
    pipeline.rank()
    # b stands first with its real (zero) engaged readers; c is excluded from every list, engaged ones too
    assert pipeline.listed("engaged", "24h") == [("b", 0), ("a", 3)]
    assert published_item(pipeline, "engaged", "24h", "b")["read_rate"] == 0.0
    assert pipeline.listed("engaged", "1h") == [("a", 3)]


def test_ops_commands_show_the_read_rate() -> None:
    import io

    from mostread.spreadsheet import list_columns
    from mostread_dev.ops import write_list_csv
    from mostread_dev.render import ranking_table
    from rich.console import Console

    assert list_columns("engaged")[-2:] == ["views", "read_rate"]
    item = {
        "rank": 1,
        "article_id": "a",
        "title": "기사 a",
        "url": "https://news.example.kr/a",
        "section": "politics",
        "published_at": "2026-11-27T08:00:00+09:00",
        "views": 5,
        "read_rate": 0.625,
        "previous_rank": None,
    }
    page = {"kind": "engaged", "window": "24h", "section": None, "generated_at": None, "items": [item]}
    out = io.StringIO()
    assert write_list_csv(page, out) == 1
    assert out.getvalue().splitlines()[1].endswith(",5,0.625")
    console = Console(file=io.StringIO(), width=120)
    console.print(ranking_table(page))
    assert "62%" in console.file.getvalue()  # type: ignore[attr-defined]


def test_the_openapi_document_states_the_engaged_rules() -> None:
    import json

    from mostread.openapi import document_json

    schemas = json.loads(document_json()[0])["components"]["schemas"]
    view = schemas["ViewIn"]
    assert view["properties"]["engaged"]["type"] == "boolean"
    assert view["if"] == {"properties": {"engaged": {"const": True}}, "required": ["engaged"]}
    assert view["then"]["required"] == ["event_id"]
    read_rate = schemas["RankingItem"]["properties"]["read_rate"]
    assert (read_rate["minimum"], read_rate["maximum"]) == (0, 1)
