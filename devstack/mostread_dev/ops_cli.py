"""The inspecting and repairing commands of ``mostread``: status, inspect, export, catalog dump, recompute and
replay-failed. Each works against `mostread dev` (``--url``) and against a deployed stack (``--stack NAME``, with
``--profile`` / ``--region`` or the usual AWS environment), resolved once by ``target.py``.

Exit status: 0 done (or nothing to do); 1 the operation failed, was declined, or found a problem (alarms in
ALARM or a stale run for ``status``, differences in a ``recompute`` dry run, poison records or batches left for
``replay-failed``); 2 a usage error, or the target cannot be reached (no such stack, no credentials, no
`mostread dev` at the URL). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from mostread_dev.api_client import DEFAULT_URL

if TYPE_CHECKING:
    from mostread.services import repair

    from mostread_dev import ops
    from mostread_dev.target import Target

# The service's modules (boto3, pydantic, Powertools) are imported when a command runs, not with the CLI: `mostread
# dev` must import Powertools only after it has moved stdout aside, and `mostread --help` stays quick.

console = Console()
errors = Console(stderr=True)

clock: Callable[[], float] = time.time
"""Now, in epoch seconds. Tests replace it."""

Url = Annotated[
    str, typer.Option("--url", help="`mostread dev`'s URL (the target unless --stack names a deployed stack).")
]
Stack = Annotated[
    str | None,
    typer.Option("--stack", metavar="NAME", help="A deployed stack (e.g. mostread-prod), found with CloudFormation."),
]
Profile = Annotated[str | None, typer.Option("--profile", help="AWS profile for --stack (default: the environment's).")]
Region = Annotated[str | None, typer.Option("--region", help="AWS region of --stack (default: the profile's).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking.")]
Output = Annotated[
    Path | None, typer.Option("--output", "-o", dir_okay=False, help="Write to FILE instead of standard output.")
]


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("inspect")(inspect)
    app.command("export")(export)
    app.command("recompute")(recompute)
    app.command("replay-failed")(replay_failed)
    catalog_app.command("dump")(catalog_dump)


# --- shared --------------------------------------------------------------------------------------------------


def resolve_target(url: str, stack: str | None, profile: str | None, region: str | None) -> Target:
    from mostread_dev.target import resolve_target as resolve

    return resolve(url, stack, profile, region)


def _target(url: str, stack: str | None, profile: str | None, region: str | None) -> Target:
    from mostread_dev.target import TargetError

    try:
        return resolve_target(url, stack, profile, region)
    except TargetError as error:
        _fail(str(error), code=2)


def _fail(message: str, code: int = 1) -> NoReturn:
    errors.print(Text(message, style="red"), soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def _errors_as_one_line() -> Iterator[None]:
    """AWS and HTTP failures end the command with one line, never a traceback."""
    from botocore.exceptions import BotoCoreError, ClientError

    from mostread_dev import ops
    from mostread_dev.target import TargetError

    try:
        yield
    except ops.OperationError as error:
        _fail(str(error))
    except TargetError as error:
        _fail(str(error), code=2)
    except (ClientError, BotoCoreError) as error:
        _fail(f"AWS: {ops.aws_error(error)}")
    except OSError as error:
        _fail(f"{error}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=errors
    )


def _print_json(document: Any) -> None:
    from mostread_dev import ops

    sys.stdout.write(ops.render_json(document))
    sys.stdout.flush()


@contextmanager
def _text_out(output: Path | None, bom: bool = False) -> Iterator[IO[str]]:
    """UTF-8 text to FILE or standard output, newlines as written (CSV's CRLF kept), with a BOM if asked."""
    if output is not None:
        with output.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
            yield handle
        return
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        if bom:
            stream.write("\ufeff")
        yield stream
        stream.flush()
    finally:
        stream.detach()


def _times(start: str, end: str, now: float) -> tuple[float, float]:
    from mostread_dev import ops

    try:
        first, last = ops.parse_time(start, now), ops.parse_time(end, now)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--from' / '--to'") from None
    last = min(last, now)
    if first >= last:
        raise typer.BadParameter("--from must be before --to (and before now)", param_hint="'--from' / '--to'")
    return first, last


# --- status --------------------------------------------------------------------------------------------------


def status(
    as_json: AsJson = False,
    url: Url = DEFAULT_URL,
    stack: Stack = None,
    profile: Profile = None,
    region: Region = None,
) -> None:
    from mostread_dev import ops
    from mostread_dev.ops_render import status_table

    """The stack at a glance: last ranking run, lists, lease, tables, failure queue, alarms.

    The last ranking run (when, how long, how old), the lists published (how many not empty), who holds the ranking
    lease, table sizes (DynamoDB updates them about every 6 hours), the failure queue's depth, and the stack's
    alarms in ALARM (deployed stacks; `mostread dev` has no CloudWatch). Exit 1 when something needs attention: an
    alarm in ALARM, a queued failed stream batch, no ranking run for five minutes (locally: two ranking intervals).
    """
    target = _target(url, stack, profile, region)
    with _errors_as_one_line():
        result = ops.gather_status(target, clock())
    if as_json:
        _print_json(result.document)
    else:
        console.print(status_table(result.document))
        for problem in result.problems:
            errors.print(Text(f"! {problem}", style="red"), soft_wrap=True)
        if not result.problems:
            console.print(Text("all well", style="green"))
    if result.problems:
        raise typer.Exit(1)


# --- inspect -------------------------------------------------------------------------------------------------


def inspect(
    article_id: Annotated[str, typer.Argument(help="The article's id, as in the catalog.")],
    hours: Annotated[
        float, typer.Option("--hours", min=0.1, max=168, help="How far back the 5-minute buckets go.")
    ] = 1.0,
    as_json: AsJson = False,
    url: Url = DEFAULT_URL,
    stack: Stack = None,
    profile: Profile = None,
    region: Region = None,
) -> None:
    from mostread_dev import ops
    from mostread_dev.ops_render import inspect_tables

    """Everything about one article: counts, 5-minute buckets, capped views, lists, editorial.

    Its published counts and capped views per window; its views, widget clicks and capped views per 5-minute bucket
    (from the open slots' logs and the sealed slots' summaries: the catalogued part, or the uncatalogued part for an
    id not in the catalog); its catalog entry; its place in every published list (rank, views, previous rank); the
    exclusions and pins about it.
    """
    target = _target(url, stack, profile, region)
    with _errors_as_one_line():
        document = ops.inspect_article(target, article_id, hours, clock())
    if as_json:
        _print_json(document)
        return
    for table in inspect_tables(document):
        console.print(table)


# --- export --------------------------------------------------------------------------------------------------


def export(
    kind: Annotated[str, typer.Option("--kind", help="most_read, trending or engaged.")] = "most_read",
    window: Annotated[str, typer.Option("--window", help="1h, 24h or 7d (trending: 1h or 24h).")] = "24h",
    section: Annotated[str | None, typer.Option("--section", help="A section (default: all sections).")] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="An ended calendar period instead of --window: YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY."
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    output: Output = None,
    bom: Annotated[
        bool,
        typer.Option("--bom/--no-bom", help="Start the CSV with a UTF-8 byte order mark, so Excel reads Korean right."),
    ] = False,
    url: Url = DEFAULT_URL,
    stack: Stack = None,
    profile: Profile = None,
    region: Region = None,
) -> None:
    """One published list with its articles' cards, as CSV or JSON.

    From GET /v1/rankings (the API's own URL; at most 50 items, the API's limit). CSV is exactly what
    GET /v1/rankings?format=csv answers: UTF-8 (no BOM unless --bom), RFC 4180 quoting and CRLF line ends, the
    header rank, article_id, title, url, section, published_at, views, then the kind's own columns (score for
    trending, read_rate for engaged). Spreadsheet-safe: a text cell that starts with =, +, -, @, a tab or a
    carriage return is written with a leading ' so no spreadsheet runs it as a formula (the apostrophe is then part
    of the cell's text). JSON adds previous_rank.
    """
    from mostread_dev import ops

    if fmt not in ("csv", "json"):
        raise typer.BadParameter("csv or json", param_hint="--format")
    target = _target(url, stack, profile, region)
    with _errors_as_one_line():
        page = ops.fetch_list(target, kind, window, section, period)
        with _text_out(output, bom and fmt == "csv") as out:
            rows = ops.write_list_csv(page, out) if fmt == "csv" else ops.write_list_json(page, out)
    if output is not None:
        errors.print(
            Text(f"{rows} items of {kind} · {period or window} · {section or 'all sections'} written to {output}")
        )


# --- catalog dump --------------------------------------------------------------------------------------------


def catalog_dump(
    fmt: Annotated[str, typer.Option("--format", help="json (what `mostread catalog load` reads) or csv.")] = "json",
    output: Output = None,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            metavar="NAME",
            help="Read this table of the same account and region instead, e.g. a point-in-time restore of the stack's.",
        ),
    ] = None,
    url: Url = DEFAULT_URL,
    stack: Stack = None,
    profile: Profile = None,
    region: Region = None,
) -> None:
    from mostread_dev import ops

    """Every catalogued article, as JSON or CSV, written as it is read.

    The ids from the catalog index, then the articles 100 at a time (BatchGetItem). JSON is a list `mostread catalog
    load` takes back; CSV is UTF-8 with the same spreadsheet-safe text cells as `mostread export`.
    """
    if fmt not in ("csv", "json"):
        raise typer.BadParameter("json or csv", param_hint="--format")
    target = _target(url, stack, profile, region)
    with _errors_as_one_line():
        db = target.db()
        if table:
            db = type(db)(db.client, table)
        article_ids = ops.catalog_ids(db)
        with _text_out(output) as out, _progress() as progress:
            task = progress.add_task("articles", total=len(article_ids))
            writer = ops.CatalogWriter(out, fmt)
            for article in ops.catalog_articles(db, article_ids):
                writer.write(article)
                progress.advance(task)
            writer.close()
    errors.print(Text(f"{writer.count} articles" + (f" written to {output}" if output else "")))


# --- recompute -----------------------------------------------------------------------------------------------


def recompute(
    start: Annotated[
        str, typer.Option("--from", metavar="TIME", help="ISO-8601 time, or a duration ago (6h, 2d, 90m).")
    ],
    end: Annotated[str, typer.Option("--to", metavar="TIME", help="ISO-8601 time, a duration ago, or now.")] = "now",
    yes: Yes = False,
    from_view_records: Annotated[
        bool,
        typer.Option(
            "--from-view-records",
            help="First rebuild the period's log from the recorded views (a Scan of the whole table: its cost is"
            " shown and asked for unless --yes), for when log chunks were lost.",
        ),
    ] = False,
    as_json: AsJson = False,
    url: Url = DEFAULT_URL,
    stack: Stack = None,
    profile: Profile = None,
    region: Region = None,
) -> None:
    from mostread.services import repair

    from mostread_dev import ops
    from mostread_dev.ops_render import recompute_summary, recompute_table

    """Recount the period's slots from their logs and compare with the stored summaries.

    A dry run by default. Shows, per slot and article, what would change (views, widget clicks, capped views, and
    which 5-minute buckets), with the deployment's MaxViewsPerAddress. With --yes, marks those slots so a ranking
    run seals them again from their logs and corrects the windows (run at once: `mostread dev`'s POST /_local/rank,
    or the rank function invoked; without permission to invoke it, the scheduled run within a minute), then checks
    again. Doing it twice changes nothing. Exit 0: nothing to change, or changed and verified; 1: differences found
    in a dry run, or the change could not be verified.
    """
    now = clock()
    first, last = _times(start, end, now)
    target = _target(url, stack, profile, region)
    document: dict[str, Any] = {"from": ops.iso(first), "to": ops.iso(last)}
    with _errors_as_one_line():
        if from_view_records:
            document["rebuild"] = _rebuild(target, first, last, now, yes).to_json()
        plan = _check(target, first, last, now)
        document["slots"] = [check.to_json() for check in plan.checks]
        document["summary"] = recompute_summary(plan.checks)
        if not as_json:
            _show_plan(plan)
        repairs = plan.to_repair
        if not repairs or not yes:
            if as_json:
                _print_json({**document, "applied": False})
            elif repairs:
                console.print(Text("dry run: nothing changed. Run again with --yes to apply.", style="yellow"))
            if repairs:
                raise typer.Exit(1)
            return
        slots = [check.slot for check in repairs]
        if not as_json:
            errors.print(Text(f"marking {len(slots)} slots and running the ranking ..."))
        document["runs"] = ops.apply_plan(target, slots, clock())
        verify = ops.check_period(target, first, last, clock())
        # a repaired slot that has new views since is due again: the next run takes those
        remaining = [check for check in verify.to_repair if check.slot in set(slots) and check.state != repair.DUE]
        document["applied"] = True
        document["verified"] = not remaining
        document["after"] = recompute_summary(verify.checks)
    if as_json:
        _print_json(document)
    elif remaining:
        console.print(recompute_table(remaining))
    if remaining:
        _fail(f"after the ranking run {len(remaining)} slots still differ from their logs")
    if not as_json:
        console.print(Text(f"sealed {len(slots)} slots again; checked: {document['after']}", style="green"))


def _check(target: Target, first: float, last: float, now: float) -> ops.RecomputePlan:
    from mostread_dev import ops

    total = ops.count_marks(target, first, last, now)
    with _progress() as progress:
        task = progress.add_task("recounting slots", total=total)
        return ops.check_period(target, first, last, now, on_slot=lambda _: progress.advance(task))


def _show_plan(plan: ops.RecomputePlan) -> None:
    from mostread_dev.ops_render import recompute_summary, recompute_table

    if plan.to_repair:
        console.print(recompute_table(plan.checks))
        if any(check.log_lacks_views for check in plan.to_repair):
            errors.print(
                Text(
                    "! some logs hold fewer views than their summaries counted: if log chunks were lost, run with"
                    " --from-view-records first, or applying this would drop those views",
                    style="yellow",
                ),
                soft_wrap=True,
            )
    console.print(Text(recompute_summary(plan.checks)))


def _rebuild(target: Target, first: float, last: float, now: float, yes: bool) -> repair.RebuildReport:
    from mostread_dev import ops

    cost = ops.scan_estimate(target)
    errors.print(
        Text(
            f"rebuilding the log from the view items reads the whole table {target.table} ({cost.items:,} items,"
            f" {cost.table_bytes / 1e6:,.1f} MB by DynamoDB's last count): about {cost.read_units:,.0f} read units,"
            f" ≈ ${cost.dollars:,.4f} on demand",
            style="yellow",
        ),
        soft_wrap=True,
    )
    if not yes and not typer.confirm("Scan the table and rebuild the log of the period?", err=True):
        _fail("nothing done")
    with _progress() as progress:
        scan = progress.add_task("scanning view items", total=max(cost.items, 1))
        found = [0]

        def on_page(scanned: int, matched: int) -> None:
            found[0] += matched
            progress.update(scan, advance=scanned, description=f"scanning view items ({found[0]:,} found)")

        chunks = progress.add_task("writing log chunks", total=None)
        report = ops.rebuild_period(target, first, last, now, on_page, lambda: progress.advance(chunks))
    errors.print(
        Text(
            f"rebuilt: {report.views:,} views in {len(report.slots)} slots; {report.chunks_written} chunks written,"
            f" {report.chunks_present} already there"
        )
    )
    return report


# --- replay-failed -------------------------------------------------------------------------------------------


def replay_failed(
    yes: Yes = False,
    as_json: AsJson = False,
    url: Url = DEFAULT_URL,
    stack: Stack = None,
    profile: Profile = None,
    region: Region = None,
) -> None:
    from mostread_dev import ops
    from mostread_dev.functions import send_function_logs_to_stderr
    from mostread_dev.ops_render import failures_table, replay_table

    send_function_logs_to_stderr()  # the stream consumer's own log lines, never mixed into --json on stdout
    """Log the stream batches the stream consumer gave up on (its failure queue) after all.

    Each message names a batch's shard and sequence numbers; its records are read back from the stream and logged
    with the consumer's own code, then the message is deleted. Past the stream's 24 hours, the log of the batch's
    arrival period is rebuilt from the view items instead (a Scan: its cost is shown). Logging a view twice changes
    nothing, so running it again is safe. Then a ranking run counts them.

    Shows what it will do and asks, unless --yes. Poison records (malformed, which can never be logged) are listed
    and their message deleted. Exit 1 when a message is left in the queue or poison records were found.
    """
    target = _target(url, stack, profile, region)
    now = clock()
    with _errors_as_one_line():
        failures = ops.receive_failures(target)
        if not failures:
            if as_json:
                _print_json({"messages": [], "replayed": []})
            else:
                console.print("the failure queue is empty: nothing to replay")
            return
        for failure in failures:
            if failure.batch is not None:
                failure.in_stream = ops.still_in_stream(target, failure.batch)
        needs_scan = any(failure.batch is not None and not failure.in_stream for failure in failures)
        cost = ops.scan_estimate(target) if needs_scan else None
        if not as_json:
            console.print(failures_table(failures, cost.dollars if cost else None))
        if not yes and not typer.confirm(f"Replay {len(failures)} failed batch(es)?", err=True):
            ops.release(target, failures)
            _fail("nothing done; the messages stay in the queue")
        consumer = ops.ingest_consumer()
        outcomes = []
        with _progress() as progress:
            task = progress.add_task("replaying", total=len(failures))
            for failure in failures:
                outcomes.append(ops.replay_failure(target, failure, now, consumer, allow_rebuild=True))
                progress.advance(task)
        ops.release(
            target, [failure for failure, outcome in zip(failures, outcomes, strict=True) if not outcome.deleted]
        )
        logged_any = any(outcome.logged for outcome in outcomes)
        report = ops.try_ranking(target) if logged_any else None
    poison = sum(len(outcome.rejected) for outcome in outcomes)
    left = sum(1 for outcome in outcomes if not outcome.deleted)
    if as_json:
        _print_json(
            {
                "messages": [failure.to_json() for failure in failures],
                "replayed": [outcome.to_json() for outcome in outcomes],
                "ranking_run": report,
            }
        )
    else:
        console.print(replay_table(outcomes))
        logged = sum(outcome.logged for outcome in outcomes)
        console.print(
            Text(f"{logged} views logged from {len(outcomes) - left} batches; {left} left in the queue")
            + Text(
                "; a ranking run has counted them"
                if report is not None
                else "; the next scheduled ranking run counts them"
                if logged_any
                else ""
            )
        )
    if poison:
        errors.print(
            Text(
                f"! {poison} poison record(s): not views the tracker could have written, so never logged"
                " (their sequence numbers are listed above)",
                style="red",
            ),
            soft_wrap=True,
        )
    if left or poison:
        raise typer.Exit(1)
