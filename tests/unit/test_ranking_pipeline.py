"""The ranking run's stages end to end on the in-memory fake (no moto): incremental reads, sealing, bases,
registrations, caps and bounds."""

from __future__ import annotations

import random
import string

import pytest
from mostread import codec, keys
from mostread.dal import aggregates, published
from mostread_dev.fake_dynamodb import item_size

from tests.harness import Clock
from tests.pipeline import TABLE, FakePipeline


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> FakePipeline:
    return FakePipeline(monkeypatch, Clock())


def test_views_are_counted_and_listed(pipeline: FakePipeline) -> None:
    pipeline.register("a1")
    pipeline.register("a2")
    for visitor in range(5):
        pipeline.view("a1", visitor)
    pipeline.view("a2", 1)
    report = pipeline.rank()
    assert not report.skipped
    assert pipeline.counts("a1") == {"1h": 5, "24h": 5, "7d": 5}
    assert pipeline.listed() == [("a1", 5), ("a2", 1)]


def test_a_run_reads_only_the_log_written_since_its_previous_read(pipeline: FakePipeline) -> None:
    pipeline.register("a1")
    for visitor in range(300):
        pipeline.view("a1", visitor)
    pipeline.deliver()
    pipeline.clock.advance(50)
    first = pipeline.rank()
    assert first.log_rows_read == 300
    pipeline.clock.advance(60)
    for visitor in range(300, 310):
        pipeline.view("a1", visitor)
    second = pipeline.rank()
    # chunks written more than the margin (45 s) before the previous read are not read again
    assert second.log_rows_read == 10
    assert pipeline.counts("a1")["1h"] == 310


def test_a_new_container_reads_the_open_slot_from_its_start(pipeline: FakePipeline) -> None:
    from mostread import caches

    pipeline.register("a1")
    for visitor in range(50):
        pipeline.view("a1", visitor)
    pipeline.rank()
    pipeline.clock.advance(120)
    caches.reset()
    report = pipeline.rank()
    assert report.log_rows_read == 50
    assert pipeline.counts("a1")["1h"] == 50


def test_slots_are_sealed_and_rolled_into_the_bases(pipeline: FakePipeline) -> None:
    pipeline.register("a1")
    pipeline.register("a2")
    for hour in range(30):
        for visitor in range(3):
            pipeline.view("a1", visitor + 10 * hour)
        pipeline.view("a2", hour)
        pipeline.rank()
        pipeline.clock.advance(3600)
    pipeline.rank()
    # views at :20 of 30 hours, read at :20 of the 31st: the 24h window's 24 hour buckets hold 23 of those hours
    assert pipeline.counts("a1") == {"1h": 0, "24h": 3 * 23, "7d": 3 * 30}
    assert pipeline.counts("a2") == {"1h": 0, "24h": 23, "7d": 30}


def test_an_article_registered_after_its_views_gets_them_in_every_window(pipeline: FakePipeline) -> None:
    pipeline.register("other")
    for hour in range(3):
        for visitor in range(2):
            pipeline.view("late-1", visitor + 10 * hour)
        pipeline.view("other", hour)
        pipeline.rank()
        pipeline.clock.advance(3600)
    pipeline.view("late-1", 99)  # in the open slot, before registration
    pipeline.rank()
    assert pipeline.counts("late-1") == {"1h": 0, "24h": 0, "7d": 0}
    pipeline.register("late-1")
    pipeline.clock.advance(60)
    pipeline.rank()
    assert pipeline.counts("late-1") == {"1h": 1, "24h": 7, "7d": 7}
    assert ("late-1", 7) in pipeline.listed()
    pipeline.clock.advance(3 * 3600)
    pipeline.rank()
    assert pipeline.counts("late-1") == {"1h": 0, "24h": 7, "7d": 7}


def adversarial_id(rng: random.Random) -> str:
    """A valid article id at the length limit (128), of the characters that compress worst."""
    alphabet = string.ascii_letters + string.digits + "._:-"
    return rng.choice(string.ascii_letters) + "".join(rng.choices(alphabet, k=127)).replace("..", ".a")


def test_a_flood_of_junk_ids_cannot_stop_the_runs_nor_grow_what_they_hold(pipeline: FakePipeline) -> None:
    """The reported attack: 40,000 views of random 128-character ids not in the catalog. Every item stays under
    DynamoDB's 400 KB (the fake refuses bigger ones as DynamoDB does), no run fails, junk never reaches the
    bases or the counts, and an article registered afterwards is listed at once."""
    rng = random.Random(8)
    pipeline.register("real-1")
    for n in range(40_000):
        pipeline.view(adversarial_id(rng), visitor=n % 300)
    pipeline.view("real-1", 1)
    pipeline.rank()
    for _ in range(4):  # the slot is sealed, its junk counted by partition, the hour rolled into the bases
        pipeline.clock.advance(900)
        pipeline.rank()
    pipeline.register("real-2")
    pipeline.view("real-2", 2)
    pipeline.clock.advance(60)
    report = pipeline.rank()
    assert report.slots_sealed == 0 and not report.skipped
    assert pipeline.listed("most_read", "1h") == [("real-2", 1)]
    assert pipeline.counts("real-1")["7d"] == 1
    base = aggregates.get_chunked(pipeline.db, keys.base_key("7d"), pipeline.clock())
    assert base is not None and set(base[0]) == {"real-1"}
    counts = list(pipeline.fake.items(TABLE, "counts#"))
    assert sum(len(codec.unpack(item["doc"]["B"]).get("counts", {})) for item in counts if "doc" in item) == 2
    largest = max(item_size(item) for item in pipeline.fake.items(TABLE))
    assert largest < 400 * 1024


def test_items_stay_bounded_with_thousands_of_catalogued_articles_at_the_id_limit(pipeline: FakePipeline) -> None:
    rng = random.Random(9)
    ids = [adversarial_id(rng) for _ in range(6000)]
    for article_id in ids:
        pipeline.register(article_id, section=f"s{rng.randrange(200)}")
    for n, article_id in enumerate(ids):
        pipeline.view(article_id, visitor=n)
    pipeline.rank()
    pipeline.clock.advance(3600)
    report = pipeline.rank()
    assert report.count_chunks >= 16  # 6,000 ids of 128 characters do not fit 8 chunks of 32 KB
    for article_id in rng.sample(ids, 50):
        assert pipeline.counts(article_id)["7d"] == 1
    assert max(item_size(item) for item in pipeline.fake.items(TABLE)) < 400 * 1024


def test_one_address_counts_at_most_the_cap_whatever_user_agents_it_sends(pipeline: FakePipeline) -> None:
    pipeline.register("pushed")
    pipeline.register("office")
    for n in range(200):  # one address, a new User-Agent and event id each time
        pipeline.view("pushed", visitor=1000 + n, address=7, event_id=f"push-event-{n:05d}")
    for n in range(15):  # an office: 15 colleagues behind one address, under the cap of 20
        pipeline.view("office", visitor=2000 + n, address=8)
    pipeline.rank()
    assert pipeline.counts("pushed")["1h"] == 20
    assert pipeline.counts("office")["1h"] == 15
    chunk = next(
        codec.unpack(item["doc"]["B"])
        for item in pipeline.fake.items(TABLE, "counts#")
        if "capped" in codec.unpack(item["doc"]["B"])
    )
    assert chunk["capped"] == {"pushed": [180, 180, 180]}


def test_the_cap_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = FakePipeline(monkeypatch, Clock(), MAX_VIEWS_PER_ADDRESS="10")
    pipeline.register("pushed")
    for n in range(30):
        pipeline.view("pushed", visitor=n, address=7)
    pipeline.rank()
    assert pipeline.counts("pushed")["1h"] == 10


def test_changing_the_dedupe_period_between_deploys_keeps_every_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = FakePipeline(monkeypatch, Clock())
    pipeline.register("a1")
    for hour in range(3):
        pipeline.view("a1", hour)
        pipeline.rank()
        pipeline.clock.advance(1800)
    pipeline.configure(monkeypatch, DEDUPE_MINUTES="60")
    for hour in range(3, 6):
        pipeline.view("a1", hour)
        pipeline.rank()
        pipeline.clock.advance(1800)
    pipeline.configure(monkeypatch, DEDUPE_MINUTES="15")
    for hour in range(6, 9):
        pipeline.view("a1", hour)
        pipeline.rank()
        pipeline.clock.advance(1800)
    pipeline.clock.advance(3600)
    report = pipeline.rank()
    assert not report.skipped
    assert pipeline.counts("a1")["7d"] == 9
    assert pipeline.counts("a1")["24h"] == 9


def test_changing_the_list_depth_between_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = FakePipeline(monkeypatch, Clock())
    for n in range(60):
        pipeline.register(f"a{n:02d}")
        for visitor in range(n + 1):
            pipeline.view(f"a{n:02d}", visitor)
    pipeline.rank()
    assert len(pipeline.listed()) == 50
    pipeline.configure(monkeypatch, LIST_DEPTH="10")
    pipeline.clock.advance(60)
    pipeline.rank()
    assert pipeline.listed() == [(f"a{n:02d}", n + 1) for n in range(59, 49, -1)]
    pipeline.configure(monkeypatch, LIST_DEPTH="100")
    pipeline.clock.advance(60)
    pipeline.rank()
    assert len(pipeline.listed()) == 60
    assert pipeline.counts("a00")["1h"] == 1


def test_a_second_run_at_the_same_time_is_skipped(pipeline: FakePipeline) -> None:
    pipeline.register("a1")
    pipeline.view("a1", 1)
    assert published.acquire_lease(pipeline.db, "slow-run", int(pipeline.clock() * 1000), 56_000)
    writes = pipeline.fake.writes
    report = pipeline.rank(deliver=False)
    assert report.skipped
    assert pipeline.fake.writes == writes + 1  # the refused conditional put of the lease, nothing else
    pipeline.clock.advance(57)  # the slow run died holding the lease: it expires
    assert not pipeline.rank().skipped
    assert pipeline.counts("a1")["1h"] == 1


def test_expired_items_that_ttl_has_not_deleted_yet_are_never_used(pipeline: FakePipeline) -> None:
    pipeline.register("a1")
    for hour in range(3):
        pipeline.view("a1", hour)
        pipeline.rank()
        pipeline.clock.advance(3600)
    pipeline.rank()
    assert pipeline.counts("a1")["24h"] == 3
    # the runs stop for three days: the bases expire (DynamoDB may keep them for days); views arrive meanwhile
    pipeline.clock.advance(3 * 86400)
    pipeline.view("a1", 50)
    pipeline.clock.advance(3600)
    pipeline.rank()
    assert pipeline.counts("a1") == {"1h": 0, "24h": 1, "7d": 4}


def test_a_backlog_is_read_on_from_where_the_previous_run_stopped(
    pipeline: FakePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mostread.services.ranking import slots

    monkeypatch.setattr(slots, "ROWS_PER_RUN", 1000)
    pipeline.register("a1")
    for visitor in range(4500):
        pipeline.view("a1", visitor)
    records = pipeline.take_stream()
    for start in range(0, len(records), 1000):  # five chunks, all written in the same millisecond
        pipeline.deliver(records[start : start + 1000])
    pipeline.clock.advance(120)
    reads = [pipeline.rank() for _ in range(6)]
    # each run stops once it has read 1,000 rows and the next goes on after the last chunk it read: no chunk twice
    assert sum(report.log_rows_read for report in reads) == 4500
    assert all(report.log_rows_read <= 1500 for report in reads)
    assert [report.log_behind for report in reads][-2:] == [False, False]
    assert pipeline.counts("a1")["1h"] == 4500
