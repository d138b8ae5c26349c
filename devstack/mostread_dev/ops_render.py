"""What the inspecting and repairing commands print: rich tables built from ``ops``' documents. Catalog text and
ids are always shown as text, never read as rich markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mostread import keys
from mostread.services import repair
from rich.table import Table
from rich.text import Text

from mostread_dev.ops import QueuedFailure, ReplayOutcome, age_text, iso
from mostread_dev.render import movement


def status_table(document: Mapping[str, Any]) -> Table:
    table = Table(title=Text(f"mostread status · {document.get('target')}"), show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    ranking = document.get("ranking") or {}
    report = ranking.get("report") or {}
    last = ranking.get("last_run_at")
    table.add_row("last ranking run", Text(f"{last} ({age_text(ranking.get('age_seconds'))} ago)" if last else "none"))
    duration = ranking.get("duration_seconds")
    table.add_row("its duration", "unknown (no report found)" if duration is None else f"{duration:.2f} s")
    if report:
        table.add_row(
            "its report",
            Text(
                f"{report.get('lists_written', 0)} lists written, {report.get('lists_unchanged', 0)} unchanged,"
                f" {report.get('slots_sealed', 0)} slots sealed, {report.get('slots_resealed', 0)} re-sealed,"
                f" {report.get('seals_deferred', 0)} deferred, {report.get('views_capped', 0)} views capped (24 h)"
            ),
        )
        stages = report.get("stage_seconds") or {}
        if stages:
            table.add_row("its stages", ", ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items()))
        catching_up = report.get("catching_up") or {}
        if catching_up:
            table.add_row(
                "windows catching up",
                Text(
                    ", ".join(f"{window} counted from {since}" for window, since in catching_up.items())
                    + f"; {report.get('lists_held', 0)} lists held as last published"
                ),
            )
    lists = document.get("lists") or {}
    table.add_row("lists published", f"{lists.get('published', 0)} ({lists.get('non_empty', 0)} not empty)")
    held = document.get("lease")
    if held:
        state = "expired: a run crashed or was stopped" if held.get("expired") else "held: a run is in progress"
        table.add_row("ranking lease", Text(f"{held.get('owner')} until {held.get('until')} ({state})"))
    else:
        table.add_row("ranking lease", "free")
    for name, size in (document.get("tables") or {}).items():
        items = size.get("items")
        detail = f"{items:,} items" if isinstance(items, int) else "? items"
        table.add_row(
            Text(f"table {name}"), f"{detail}, {_bytes(size.get('bytes'))} (DynamoDB updates both about every 6 hours)"
        )
    queue = document.get("failure_queue")
    if queue is None:
        table.add_row("failure queue", "none in this stack")
    elif "error" in queue:
        table.add_row("failure queue", Text(str(queue["error"])))
    else:
        table.add_row(
            "failure queue", f"{queue.get('visible', 0)} messages waiting, {queue.get('in_flight', 0)} in flight"
        )
    alarms = document.get("alarms")
    if alarms is None:
        table.add_row("alarms", "not emulated by `mostread dev` (CloudWatch)")
    else:
        table.add_row("alarms in ALARM", Text(", ".join(alarm["name"] for alarm in alarms) or "none"))
    stream = document.get("stream")
    if stream:
        table.add_row(
            "local stream",
            f"{stream.get('delivered', 0):,} records delivered, {stream.get('pending', 0)} pending,"
            f" {stream.get('given_up', 0)} given up to the failure queue",
        )
    return table


def _bytes(size: Any) -> str:
    if not isinstance(size, int | float):
        return "? bytes"
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size} bytes"  # pragma: no cover


def inspect_tables(document: Mapping[str, Any]) -> list[Table]:
    tables = []
    article = document.get("catalog")
    card = Table(title=Text(f"article {document['article_id']}"), show_header=False)
    card.add_column("", style="bold")
    card.add_column("", overflow="fold")
    if article:
        for name in ("title", "url", "section", "published_at", "thumbnail_url", "summary"):
            if article.get(name) is not None:
                card.add_row(name, Text(str(article[name])))
    else:
        card.add_row("catalog", "not in the catalog: its views are counted, but it is in no list")
    tables.append(card)

    published = document.get("published") or {}
    counts = Table(title="published counts", caption=f"latest run {published.get('generated_at') or '-'}")
    counts.add_column("window")
    counts.add_column("views", justify="right")
    counts.add_column("capped", justify="right")
    for window in ("1h", "24h", "7d"):
        counts.add_row(
            window,
            f"{(published.get('counts') or {}).get(window, 0):,}",
            f"{(published.get('capped') or {}).get(window, 0):,}",
        )
    tables.append(counts)

    totals = document.get("totals_over_buckets") or {}
    buckets = Table(
        title=f"per 5 minutes, last {document.get('hours')} h",
        caption=f"capped: more than MaxViewsPerAddress={document.get('max_views_per_address')} visitors from one"
        " address in a dedupe slot (counted in the slot's first bucket); totals "
        f"{totals.get('views', 0)} views, {totals.get('widget_clicks', 0)} widget clicks, {totals.get('capped', 0)}"
        " capped",
    )
    for name, justify in (("bucket (UTC)", "left"), ("views", "right"), ("widget clicks", "right")):
        buckets.add_column(name, justify=justify)  # type: ignore[arg-type]
    buckets.add_column("capped", justify="right")
    buckets.add_column("from")
    for bucket in document.get("buckets", []):
        buckets.add_row(
            str(bucket["at"]),
            f"{bucket['views']:,}",
            f"{bucket['widget_clicks']:,}",
            f"{bucket['capped']:,}",
            bucket["source"],
        )
    tables.append(buckets)

    positions = Table(title="in the published lists", caption=None if document.get("positions") else "in none")
    for name in ("list", "rank", "move", "views", "score"):
        positions.add_column(name, justify="left" if name == "list" else "right")
    for position in document.get("positions", []):
        positions.add_row(
            Text(f"{position['kind']} · {position['window']} · {position['section'] or 'all sections'}"),
            str(position["rank"]),
            movement(position["rank"], position.get("previous_rank")),
            f"{position['views']:,}",
            "-" if position.get("score") is None else f"{position['score']:,.2f}",
        )
    tables.append(positions)

    controls = Table(title="editorial", caption=None if document.get("editorial") else "no exclusion or pin")
    controls.add_column("control")
    controls.add_column("what", overflow="fold")
    controls.add_column("until")
    controls.add_column("in force")
    for control in document.get("editorial", []):
        if control["type"] == "exclusion":
            what = Text(control.get("reason") or "")
        else:
            what = Text(
                f"position {control['position']} of {control['kind']} · {control['window']}"
                f" · {control.get('section') or 'all sections'}"
            )
        controls.add_row(
            control["type"], what, Text(str(control.get("until") or "forever")), "yes" if control["in_force"] else "no"
        )
    tables.append(controls)
    return tables


def recompute_table(checks: Sequence[repair.SlotCheck], limit: int = 200) -> Table:
    table = Table(title="what a recompute would change", caption=None)
    table.add_column("slot (UTC)")
    table.add_column("state")
    table.add_column("article")
    table.add_column("views", justify="right")
    table.add_column("widget clicks", justify="right")
    table.add_column("capped", justify="right")
    table.add_column("buckets changed")
    shown = 0
    for check in checks:
        if not check.needs_repair:
            continue
        slot = f"{iso(check.slot.start)} +{check.slot.seconds // 60}m"
        if not check.changes:
            table.add_row(slot, check.state, "-", "-", "-", "-", "summary missing: sealed again")
        for change in check.changes:
            if shown >= limit:
                break
            table.add_row(
                slot,
                check.state,
                Text(change.article_id),
                _change(change.views),
                _change(change.widget),
                _change(change.capped),
                ", ".join(f"{_clock_time(start)} {old}→{new}" for start, old, new in change.buckets[:4])
                + (" …" if len(change.buckets) > 4 else ""),
            )
            shown += 1
    if shown >= limit:
        table.caption = f"first {limit} changes shown (--json for all)"
    return table


def _clock_time(epoch: int) -> str:
    return (iso(epoch) or "")[11:16]


def _change(pair: tuple[int, int]) -> Text:
    old, new = pair
    if old == new:
        return Text(f"{new:,}", style="dim")
    style = "green" if new > old else "red"
    return Text(f"{old:,} → {new:,} ({new - old:+,})", style=style)


def recompute_summary(checks: Sequence[repair.SlotCheck]) -> str:
    states: dict[str, int] = {}
    for check in checks:
        states[check.state] = states.get(check.state, 0) + 1
    repairs = [check for check in checks if check.needs_repair]
    gained = sum(max(change.views_delta, 0) for check in repairs for change in check.changes)
    lost = sum(min(change.views_delta, 0) for check in repairs for change in check.changes)
    kinds = ", ".join(f"{count} {state}" for state, count in sorted(states.items())) or "none"
    if not repairs:
        return f"{len(checks)} slots checked ({kinds}): nothing to change"
    articles = len({change.article_id for check in repairs for change in check.changes})
    return (
        f"{len(checks)} slots checked ({kinds}): {len(repairs)} to seal again, {articles} articles,"
        f" views {gained:+,} / {lost:+,}"
    )


def failures_table(failures: Sequence[QueuedFailure], scan_dollars: float | None) -> Table:
    table = Table(title="failed stream batches in the queue", caption="--json shows the whole sequence numbers")
    table.add_column("message")
    table.add_column("given up after")
    table.add_column("records", justify="right")
    table.add_column("arrived (UTC)")
    table.add_column("sequence numbers")
    table.add_column("replayed from", overflow="fold")
    for failure in failures:
        batch = failure.batch
        if batch is None:
            table.add_row(failure.message_id[:8], Text(failure.problem or "?"), "-", "-", "-", "left in the queue")
            continue
        if failure.in_stream:
            source = "the stream"
        else:
            cost = f" (a Scan, ≈ ${scan_dollars:.4f})" if scan_dollars is not None else ""
            source = f"the view items{cost}: the stream no longer has it"
        table.add_row(
            failure.message_id[:8],
            _CONDITIONS.get(batch.condition, batch.condition or "-"),
            str(batch.batch_size),
            _arrival(batch.first_arrival, batch.last_arrival),
            f"…{batch.start_sequence[-6:]}–…{batch.end_sequence[-6:]}",
            source,
        )
    return table


_CONDITIONS = {"RetryAttemptsExhausted": "its retries", "RecordAgeExceeded": "its age limit"}


def _arrival(first: float | None, last: float | None) -> str:
    start, end = iso(first), iso(last)
    if not start or not end:
        return "?"
    return start[:19].replace("T", " ") if start == end else f"{start[:19].replace('T', ' ')} … {end[11:19]}"


def replay_table(outcomes: Sequence[ReplayOutcome]) -> Table:
    table = Table(title="replayed")
    table.add_column("message")
    table.add_column("from")
    table.add_column("records", justify="right")
    table.add_column("logged", justify="right")
    table.add_column("poison (rejected)", overflow="fold")
    table.add_column("failed", justify="right")
    table.add_column("deleted")
    for outcome in outcomes:
        table.add_row(
            outcome.message_id[:8],
            outcome.source or "-",
            str(outcome.records),
            str(outcome.logged),
            Text(", ".join(outcome.rejected) or "-", style="red" if outcome.rejected else ""),
            str(len(outcome.failed)),
            "yes" if outcome.deleted else Text(f"no: {outcome.error or 'some records failed'}", style="red"),
        )
    return table


def slot_names(slots: Sequence[Any]) -> str:
    return ", ".join(keys.slot_name(slot) for slot in slots)
