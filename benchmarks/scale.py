"""The ranking run at full scale on DynamoDB Local, and the peak memory of every function.

State, written with the service's own writers (the catalog and the week's summaries on the in-memory fake, then
bulk-loaded; the open slot's log through the stream consumer's code straight into DynamoDB Local):

* 100,000 catalogued articles in 8 sections, published over the last 30 days;
* a week (336 sealed slots) of summaries: each slot the articles read in it (recent ones most) and about 3,000
  ids that are not in the catalog, 1,000,000 such ids in the 7-day window;
* the open slot: 2,000,000 recorded views (about 1,300 a second for 25 minutes) with reloads (a visitor's
  second view of an article), widget clicks and junk ids; crawlers never reach the log (the tracker drops them).

Then the ranking function runs, one run a simulated minute, in one process (a warm container): cold start (the
catalog read, the bases built backward from the summaries, the open slot read from its start), the runs that
catch up, and a normal minute with 60,000 new views. Peak RSS is the process's high-water mark.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = 100_000
SECTIONS = ("politics", "economy", "society", "world", "culture", "sports", "tech", "opinion")
JUNK_IDS_IN_WEEK = 1_000_000
SLOTS_IN_WEEK = 336
ARTICLES_PER_SLOT = 20_000  # distinct articles read in one sealed slot of the week
OPEN_SLOT_VIEWS = 2_000_000
NORMAL_MINUTE_VIEWS = 60_000  # 1,000 views/s
SLOT_SECONDS = 1800
TABLE = "mostread-scale"


def article_id(n: int) -> str:
    return f"2026-{n:06d}"


def junk_id(rng: random.Random) -> str:
    return "junk-" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=24))


# -- state -----------------------------------------------------------------------------------------------


def seed_catalog_and_history(now: float) -> Any:
    """The catalog and a week of sealed slots, on the fake; returns it."""
    from mostread import keys
    from mostread.article_models import Article
    from mostread.dal import catalog, summaries, viewlog
    from mostread.dal.client import Db
    from mostread.services.catalog import catalog_version
    from mostread.services.ranking.slots import summary_expiry
    from mostread.timebuckets import Slot
    from mostread_dev.fake_dynamodb import FakeDynamoDB, fake_indexes
    from mostread_dev.template import load_template

    views_table = next(spec for spec in load_template().tables() if spec.logical_id == "ViewsTable")
    fake = FakeDynamoDB(fake_indexes(views_table.create_kwargs))
    db = Db(fake, TABLE)
    rng = random.Random(20261130)
    for n in range(ARTICLES):
        published = now - 30 * 86400 * (ARTICLES - n) / ARTICLES
        article = Article(
            article_id=article_id(n),
            title=f"한빛일보 기사 {n}번: 지역 소식과 분석",
            url=f"https://news.example.kr/article/{n}",
            section=SECTIONS[n % len(SECTIONS)],
            published_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(published)),
        )
        catalog.put_article(db, article, catalog_version(article.model_dump()), now - 40 * 86400)
    open_slot = Slot.of(now, SLOT_SECONDS)
    junk_per_slot = JUNK_IDS_IN_WEEK // SLOTS_IN_WEEK + 1
    for back in range(1, SLOTS_IN_WEEK + 1):
        slot = Slot(open_slot.start - back * SLOT_SECONDS, SLOT_SECONDS)
        newest = int(ARTICLES * (1 - back / (SLOTS_IN_WEEK * 4.3)))  # the catalog grows; recent articles read most
        counts: dict[str, list[int]] = {}
        for rank in range(ARTICLES_PER_SLOT):
            n = max(newest - int(rng.paretovariate(1.2) * 40) - rank // 3, 0)
            row = counts.setdefault(article_id(n), [0] * 6)
            row[rank % 6] += max(1, 2000 // (rank + 1))
        generation = int((slot.end + 150) * 1000)
        expires_at = summary_expiry(slot)
        writer = summaries.orphan_writer(db, slot, generation, expires_at)
        junk = sorted((junk_id(rng) for _ in range(junk_per_slot)), key=keys.orphan_partition)
        partitions = 0
        for partition, ids in itertools.groupby(junk, key=keys.orphan_partition):
            writer.add(partition, {junk: [1, 0, 0, 0, 0, 0] for junk in ids})
            partitions |= 1 << partition
        summaries.put_summary(db, slot, counts, writer.finish(), generation, expires_at)
        viewlog.mark_slot(db, slot, (slot.end + 30) * 1000, slot.end + 8 * 86400)
        mark = viewlog.SlotMark(slot, (slot.end + 30) * 1000, None, None, 0, marks=1)
        viewlog.set_summarised(db, mark, generation, partitions)
    return fake


def bulk_load(client: Any, fake: Any) -> int:
    """Copy every item of the fake into DynamoDB Local, 25 per BatchWriteItem, four writers at a time."""
    items = list(fake.items(TABLE))

    def write(batch: list[dict[str, Any]]) -> None:
        request = {TABLE: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, (items[start : start + 25] for start in range(0, len(items), 25))))
    return len(items)


def open_slot_records(now: float, count: int, first: int, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Stream records of ``count`` recorded views in the open slot, 1,000 a batch as Lambda delivers them: recent
    articles most, one view in ten a reload by the same visitor, 5% widget clicks, 5% ids not in the catalog."""
    from mostread.timebuckets import Slot

    slot = Slot.of(now, SLOT_SECONDS)
    span_ms = int((now - slot.start) * 1000)
    batch: list[dict[str, Any]] = []
    previous: tuple[str, str, str] | None = None
    for n in range(first, first + count):
        if previous is not None and rng.random() < 0.1:
            article, visitor, address = previous
        else:
            draw = rng.random()
            article = (
                junk_id(rng) if draw < 0.05 else article_id(max(ARTICLES - 1 - int(rng.paretovariate(1.1) * 30), 0))
            )
            visitor = f"{rng.getrandbits(64):016x}"
            address = visitor if rng.random() < 0.9 else f"{rng.randrange(5000):016x}"
        previous = (article, visitor, address)
        received = (
            slot.start * 1000 + (n * span_ms) // (first + count)
            if first == 0
            else int(now * 1000) - (first + count - n)
        )
        image = {
            "pk": {"S": f"view#e:scale{n:012d}"},
            "sk": {"S": "-"},
            "a": {"S": article},
            "t": {"N": str(received)},
            "v": {"S": visitor},
            "ad": {"S": address},
            "w": {"N": "1"},
        }
        if rng.random() < 0.05:
            image["r"] = {"S": "mostread"}
        batch.append(
            {
                "eventID": f"scale-{n}",
                "eventName": "INSERT",
                "dynamodb": {"NewImage": image, "SequenceNumber": f"{n:021d}"},
            }
        )
        if len(batch) == 1000:
            yield batch
            batch = []
    if batch:
        yield batch


# -- the runs, in a process of their own (a warm Lambda container) ----------------------------------------


def peak_rss_mb() -> int:
    """This process's high-water mark, VmHWM. Not ``ru_maxrss``: Linux carries that over an exec from the parent that
    forked, so a child of the seeding process would report the seeder's memory as its own."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    raise RuntimeError("no VmHWM in /proc/self/status")


def worker(endpoint: str, now: float) -> None:
    """Runs in a child process: the ranking handler, one run a simulated minute."""
    from mostread.dal.client import default_db
    from mostread.services.ingest import ingest_records
    from mostread_dev.functions import import_file

    rank = import_file(ROOT / "functions" / "rank" / "app.py", "scale_rank")
    stages: dict[str, float] = {}
    if os.environ.get("MOSTREAD_SCALE_TRACE"):
        # the high-water mark after each stage of the run, to see which one holds the memory
        import mostread.services.ranking as ranking

        def traced(name: str, stage: Any) -> Any:
            def run_stage(*args: Any, **kwargs: Any) -> Any:
                result = stage(*args, **kwargs)
                stages[name] = peak_rss_mb()
                return result

            return run_stage

        for name in (
            "read_catalog",
            "plan_slots",
            "prepare_bases",
            "read_open_slots",
            "seal_due_slots",
            "update_bases",
            "window_totals",
            "rank_lists",
            "publish_lists",
            "publish_counts",
        ):
            setattr(ranking, name, traced(name, getattr(ranking, name)))

    class Context:
        function_name = "rank"
        memory_limit_in_mb = 1769
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:rank"
        aws_request_id = "scale"

        def get_remaining_time_in_millis(self) -> int:
            return 55_000

    def run(at: float, label: str) -> dict[str, Any]:
        rank.system_clock = lambda: at
        started = time.perf_counter()
        cpu = time.process_time()
        report = rank.handler({}, Context())
        return {
            "label": label,
            "wall": round(time.perf_counter() - started, 2),
            "cpu": round(time.process_time() - cpu, 2),
            "peak_rss_mb": peak_rss_mb(),
            "rows_read": report["log_rows_read"],
            "behind": report["log_behind"],
            "bases": report["bases"],
            "count_chunks": report["count_chunks"],
            "lists_written": report["lists_written"],
            "articles_with_views": report["articles_with_views"],
            **({"stages_peak_mb": dict(stages)} if stages else {}),
        }

    results = [run(now, "cold start")]
    minute = 0
    while results[-1]["behind"] or any(
        "extended" in action or "started" in action for action in results[-1]["bases"].values()
    ):
        minute += 1
        results.append(run(now + 60 * minute, f"catching up ({minute})"))
        if minute > 12:
            break
    minute += 1
    at = now + 60 * minute
    rng = random.Random(7)
    for batch in open_slot_records(at, NORMAL_MINUTE_VIEWS, OPEN_SLOT_VIEWS, rng):
        ingest_records(default_db(), batch, lambda: at - 1)
    results.append(run(at, "normal minute (+60,000 views)"))
    print(json.dumps(results))


def main() -> None:
    from benchmarks.common import DynamoDBLocal, function_environment

    now = time.time()
    now = now - now % SLOT_SECONDS + 25 * 60  # 25 minutes into a slot
    ddb = DynamoDBLocal().start()
    try:
        env = function_environment(TABLE, ddb.endpoint)
        os.environ.update(env)
        from mostread import caches

        caches.reset()
        client = ddb.client()
        from mostread_dev.template import load_template

        for spec in load_template().tables(load_template().table_names(TABLE)):
            client.create_table(**spec.create_kwargs)
        started = time.perf_counter()
        fake = seed_catalog_and_history(now)
        seeded = time.perf_counter()
        loaded = bulk_load(client, fake)
        del fake
        bulk = time.perf_counter()
        from mostread.dal.client import default_db
        from mostread.services.ingest import ingest_records

        rng = random.Random(3)
        for batch in open_slot_records(now, OPEN_SLOT_VIEWS, 0, rng):
            ingest_records(default_db(), batch, lambda: now - 60)
        logged = time.perf_counter()
        print(
            f"seeded on the fake {seeded - started:.0f} s, {loaded} items bulk-loaded {bulk - seeded:.0f} s, "
            f"open slot logged {logged - bulk:.0f} s",
            flush=True,
        )
        child = subprocess.run(
            [sys.executable, "-c", f"from benchmarks.scale import worker; worker({ddb.endpoint!r}, {now!r})"],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("shared", "devstack", "."))},
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if child.returncode:
            print(child.stderr[-4000:])
            raise SystemExit(child.returncode)
        for result in json.loads(child.stdout.strip().splitlines()[-1]):
            print(result)
    finally:
        ddb.stop()


if __name__ == "__main__":
    main()
