"""What the ``mostread`` subcommands print: rich tables built from the API's JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text


def ranking_table(page: Mapping[str, Any]) -> Table:
    """A list as ``GET /v1/rankings`` serves it: rank, movement since the previous run, title, views (and the
    score of a trending list). Catalog text is shown as text, never read as rich markup."""
    section = page.get("section") or "all sections"
    archived = page.get("period") is not None
    generated = page.get("generated_at") or ("not computed yet" if archived else "no ranking run yet")
    kind = page.get("kind", "most_read")
    items = page.get("items", [])
    with_score = kind == "trending" or any(item.get("score") is not None for item in items)
    with_rate = kind == "engaged" or any(item.get("read_rate") is not None for item in items)
    table = Table(
        title=Text(f"{kind} · {page.get('period') if archived else page.get('window')} · {section}"),
        caption=f"generated at {generated}",
    )
    table.add_column("rank", justify="right")
    table.add_column("move", justify="right")
    table.add_column("title", overflow="fold")
    table.add_column("section")
    table.add_column("views", justify="right")
    if with_score:
        table.add_column("score", justify="right")
    if with_rate:
        table.add_column("read rate", justify="right")
    for item in items:
        row: list[Text | str] = [
            str(item["rank"]),
            movement(item["rank"], item.get("previous_rank")),
            Text(str(item["title"])),
            Text(str(item["section"])),
            f"{item['views']:,}",
        ]
        if with_score:
            score = item.get("score")
            row.append("-" if score is None else f"{score:,.2f}")
        if with_rate:
            rate = item.get("read_rate")
            row.append("-" if rate is None else f"{rate:.0%}")
        table.add_row(*row)
    return table


def movement(rank: int, previous_rank: int | None) -> Text:
    """The widget's marker: ▲n (up n places), ▼n (down n), NEW (not in the previous run's list), – (unchanged)."""
    if previous_rank is None:
        return Text("NEW", style="bold yellow")
    if previous_rank > rank:
        return Text(f"▲{previous_rank - rank}", style="green")
    if previous_rank < rank:
        return Text(f"▼{rank - previous_rank}", style="red")
    return Text("–", style="dim")


def exclusions_table(exclusions: Sequence[Mapping[str, Any]]) -> Table:
    """``GET /v1/editorial``'s exclusions: articles kept out of every list."""
    table = Table(title="exclusions in force", caption=None if exclusions else "none")
    table.add_column("article_id")
    table.add_column("until")
    table.add_column("reason", overflow="fold")
    for entry in exclusions:
        table.add_row(
            Text(str(entry["article_id"])), Text(str(entry.get("until") or "forever")), Text(entry.get("reason") or "")
        )
    return table


def pins_table(pins: Sequence[Mapping[str, Any]]) -> Table:
    """``GET /v1/editorial``'s pins: articles standing at a position in one list, ordered as the API lists them."""
    table = Table(title="pins in force", caption=None if pins else "none")
    table.add_column("article_id")
    table.add_column("list")
    table.add_column("position", justify="right")
    table.add_column("until")
    for pin in pins:
        table.add_row(Text(str(pin["article_id"])), Text(list_name(pin)), str(pin["position"]), Text(str(pin["until"])))
    return table


def list_name(entry: Mapping[str, Any]) -> str:
    """``most_read · 24h · all sections``: one list, as the ranking table titles it."""
    return f"{entry.get('kind')} · {entry.get('window')} · {entry.get('section') or 'all sections'}"


def run_report_table(report: Mapping[str, Any]) -> Table:
    table = Table(title="ranking run", caption=f"{report.get('seconds', 0):.3f} s in all")
    table.add_column("", style="bold")
    table.add_column("value", justify="right")
    table.add_row("stream records delivered first", str(report.get("drained_records", 0)))
    if report.get("given_up_records"):
        table.add_row("stream records given up (failure queue)", str(report["given_up_records"]))
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
        table.add_row(Text(article_id), Text(reason))
    return table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)
