"""What the ``mostread`` subcommands print: rich tables built from the API's JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table


def ranking_table(page: Mapping[str, Any]) -> Table:
    section = page.get("section") or "all sections"
    generated = page.get("generated_at") or "no ranking run yet"
    table = Table(
        title=f"{page.get('kind', 'most_read')} · {page.get('window')} · {section}",
        caption=f"generated at {generated}",
    )
    table.add_column("rank", justify="right")
    table.add_column("title", overflow="fold")
    table.add_column("section")
    table.add_column("views", justify="right")
    for item in page.get("items", []):
        table.add_row(str(item["rank"]), str(item["title"]), str(item["section"]), f"{item['views']:,}")
    return table


def run_report_table(report: Mapping[str, Any]) -> Table:
    table = Table(title="ranking run", caption=f"{report.get('seconds', 0):.3f} s in all")
    table.add_column("", style="bold")
    table.add_column("value", justify="right")
    table.add_row("stream records delivered first", str(report.get("drained_records", 0)))
    for run in report.get("runs", []):
        table.add_section()
        table.add_row(f"{run['function']} (s)", f"{run['seconds']:.3f}")
        result = run.get("result")
        if isinstance(result, Mapping):
            for name, value in result.items():
                table.add_row(f"  {name}", _cell(value))
    return table


def tally_table(tally: Mapping[str, int], seconds: float, seed: int) -> Table:
    table = Table(title="synthetic readers", caption=f"{seconds:.1f} s · seed {seed}")
    for name in tally:
        table.add_column(name, justify="right")
    table.add_row(*(f"{value:,}" for value in tally.values()))
    return table


def catalog_failures_table(failures: Sequence[tuple[str, str]]) -> Table:
    table = Table(title="refused articles")
    table.add_column("article_id")
    table.add_column("why", overflow="fold")
    for article_id, reason in failures:
        table.add_row(article_id, reason)
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)
