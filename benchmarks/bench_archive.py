"""The calendar archive's storage: bytes per article-day of the stored day totals, and what the archive costs.

Standalone: ``.venv/bin/python -m benchmarks.bench_archive`` prints a Markdown section. A day's totals are written
exactly as the ranking run writes them (``mostread.dal.archive.put_totals``: zlib-compressed JSON chunks of
``{article_id: views}`` behind a head item) into a recording client; each item is sized by DynamoDB's rules
(attribute names plus values, ``mostread_dev.fake_dynamodb.item_size``) plus the ~100 bytes DynamoDB bills per item
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html). Storage is priced
at DynamoDB Standard's $0.25 per GB-month (https://aws.amazon.com/dynamodb/pricing/on-demand/).
"""

from __future__ import annotations

import random
import time
from typing import Any

from mostread import keys
from mostread.dal import archive
from mostread.dal.client import Db
from mostread_dev.fake_dynamodb import item_size

from benchmarks.report import Section, Table

SEED = 11
ITEM_OVERHEAD_BYTES = 100
PRICE_PER_GB_MONTH = 0.25
ARCHIVE_DAYS = 400  # the template's default: the steady state holds this many days of totals
ARTICLES_A_DAY = (1_000, 10_000, 100_000)
COMMAND = "python -m benchmarks.run archive"


class _RecordingClient:
    """Takes the puts the access pattern makes; nothing is stored before (a first write)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def put_item(self, *, Item: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.items.append(Item)
        return {}

    def batch_write_item(self, **_: Any) -> dict[str, Any]:
        return {"UnprocessedItems": {}}


def day_totals(articles: int, rng: random.Random, id_style: str) -> dict[str, int]:
    """Listed views of ``articles`` articles in one day: a long tail (most articles a few views, a few thousands)."""
    totals = {}
    for n in range(articles):
        article_id = f"a11-{n:06d}" if id_style == "short" else f"2026-11-30-politics-{rng.randrange(10**9):09d}"
        totals[article_id] = max(1, int(rng.paretovariate(1.1)))
    return totals


def stored_bytes(totals: dict[str, int]) -> tuple[int, int]:
    """(billed bytes incl. the per-item overhead, items) of one day's totals as the archive stores them."""
    client = _RecordingClient()
    archive.put_totals(
        Db(client, "mostread"),  # type: ignore[arg-type]
        keys.archive_day_key("2026-11-30"),
        totals,
        {"day": "2026-11-30"},
        1_796_000_000_000,
        1_830_000_000,
    )
    return sum(item_size(item) + ITEM_OVERHEAD_BYTES for item in client.items), len(client.items)


def measure() -> list[dict[str, Any]]:
    rows = []
    for id_style in ("short", "long"):
        for articles in ARTICLES_A_DAY:
            totals = day_totals(articles, random.Random(SEED), id_style)
            billed, items = stored_bytes(totals)
            rows.append({"ids": id_style, "articles": articles, "items": items, "bytes": billed})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "## Calendar archive: storage per article-day",
        "",
        f"Reproduce: `{COMMAND}` (seeded, {SEED}; no AWS). A finalised day's totals as the ranking run stores them: "
        "zlib-compressed JSON `{article_id: views}` in chunks of at most 300 KB behind a head item, each item sized "
        f"by DynamoDB's rules plus {ITEM_OVERHEAD_BYTES} bytes of per-item overhead. Views per article follow a "
        "long tail (Pareto, α 1.1). Ids: short `a11-000123` (10 characters) or long "
        "`2026-11-30-politics-123456789` (29).",
        "",
        "| ids | articles with views that day | items | bytes stored | bytes per article-day |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        per = row["bytes"] / row["articles"]
        lines.append(f"| {row['ids']} | {row['articles']:,} | {row['items']} | {row['bytes']:,} | {per:.1f} |")
    lines += ["", "Cost of the day totals at 100,000 articles with views every day:", ""]
    lines += ["| ids | GB for a year (365 days) | $ per month for a year | $ per month at steady state |"]
    lines += ["|---|---:|---:|---:|"]
    for row in rows:
        if row["articles"] != 100_000:
            continue
        per_day = row["bytes"]
        year_gb = per_day * 365 / 1e9
        steady_gb = per_day * ARCHIVE_DAYS / 1e9
        lines.append(
            f"| {row['ids']} | {year_gb:.2f} | ${year_gb * PRICE_PER_GB_MONTH:.3f} | "
            f"${steady_gb * PRICE_PER_GB_MONTH:.3f} ({ARCHIVE_DAYS} days kept) |"
        )
    lines += [
        "",
        "Besides the day totals the archive keeps each month's totals (one set per month, at most the size of "
        "the month's distinct articles) and the period lists (ListDepth + 20 ids and counts, a few KB per list "
        "and section): together well under the day totals' size.",
        "",
    ]
    return "\n".join(lines)


def run(quick: bool) -> Section:
    """Section 7 of BENCHMARKS.md (the same figures as ``markdown``); quick changes nothing: it takes a second."""
    started = time.perf_counter()
    rows = measure()
    sizes = Table("Bytes per article-day", ["ids", "articles with views that day", "items", "bytes", "per article-day"])
    for row in rows:
        per = row["bytes"] / row["articles"]
        sizes.add(row["ids"], f"{row['articles']:,}", row["items"], f"{row['bytes']:,}", f"{per:.1f}")
    costs = Table(
        "Day totals at 100,000 articles with views every day",
        ["ids", "GB for a year", "$ per month for a year", f"$ per month, {ARCHIVE_DAYS} days kept"],
    )
    for row in rows:
        if row["articles"] == 100_000:
            year_gb, steady_gb = row["bytes"] * 365 / 1e9, row["bytes"] * ARCHIVE_DAYS / 1e9
            costs.add(
                row["ids"],
                f"{year_gb:.2f}",
                f"{year_gb * PRICE_PER_GB_MONTH:.3f}",
                f"{steady_gb * PRICE_PER_GB_MONTH:.3f}",
            )
    method = (
        "A finalised day's totals as the ranking run stores them (`mostread.dal.archive.put_totals`: "
        "zlib-compressed JSON `{article_id: views}` in chunks behind a head item), each item sized by DynamoDB's "
        f"rules plus {ITEM_OVERHEAD_BYTES} bytes of per-item overhead "
        "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html), priced at "
        f"${PRICE_PER_GB_MONTH} per GB-month (https://aws.amazon.com/dynamodb/pricing/on-demand/). Seeded ({SEED}); "
        "views per article follow a long tail (Pareto, α 1.1). Ids: short `a11-000123` (10 characters) or long "
        "`2026-11-30-politics-123456789` (29)."
    )
    findings = [
        "Besides the day totals the archive keeps each month's totals (one set per month, at most the size of the "
        "month's distinct articles) and the period lists (ListDepth + 20 ids and counts, a few KB per list and "
        "section): together well under the day totals' size."
    ]
    return Section(
        "archive", "7. Calendar archive storage", method, COMMAND, [sizes, costs], findings, quick,
        time.perf_counter() - started,
    )  # fmt: skip


def main() -> None:
    print(markdown(measure()))


if __name__ == "__main__":
    main()
