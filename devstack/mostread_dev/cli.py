"""The ``mostread`` command: the local stack (``dev``) and the ops commands that talk to any deployment (the
inspecting and repairing ones are in ``ops_cli.py``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from mostread_dev.api_client import DEFAULT_URL, ApiClient, ApiResponse, ApiUnavailable, SigV4Signer, region_of_url
from mostread_dev.catalog_file import CatalogFileError, read_catalog_file
from mostread_dev.demo_site import CATALOG_FILE
from mostread_dev.ops_cli import register as register_ops_commands
from mostread_dev.render import (
    catalog_failures_table,
    exclusions_table,
    list_name,
    pins_table,
    ranking_table,
    run_report_table,
    tally_table,
)
from mostread_dev.stack import DevOptions, run_dev
from mostread_dev.traffic import SyntheticReaders, new_seed, run_traffic

app = typer.Typer(
    help="mostread: most-read rankings. `mostread dev` runs the whole service locally.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="The article catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
editorial_app = typer.Typer(
    help="Editorial controls: keep articles out of every list (exclusions) or hold them at a position in one list "
    "(pins). Each takes effect at the next ranking run and expires on its own. A deployed API requires --sigv4.",
    no_args_is_help=True,
)
app.add_typer(editorial_app, name="editorial")

P = ParamSpec("P")
T = TypeVar("T")

console = Console()
errors = Console(stderr=True)

Url = Annotated[str, typer.Option("--url", help="Base URL of the API: `mostread dev`, or a deployed stack's ApiUrl.")]
SigV4 = Annotated[bool, typer.Option("--sigv4", help="Sign with your AWS credentials (a deployed API requires IAM).")]
ArticleId = Annotated[str, typer.Argument(help="The article's id, as in the catalog.")]


def _local_now() -> datetime:
    return datetime.now().astimezone()


clock: Callable[[], datetime] = _local_now
"""What `--for DURATION` counts from: now, in this machine's time zone. Tests replace it."""

_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``2h``, ``1h30m``, ``7d``, ``90s``: a positive duration."""
    found = _DURATION.fullmatch(text.strip().lower())
    if not found or not any(found.groups()):
        raise ValueError(f"{text!r} is not a duration like 30m, 2h, 1h30m or 7d")
    days, hours, minutes, seconds = (int(group or 0) for group in found.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration <= timedelta(0):
        raise ValueError("the duration must be longer than zero")
    return duration


def _duration_option(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


Until = Annotated[
    str | None,
    typer.Option(
        "--until", metavar="ISO", help="Until this ISO-8601 time with offset, e.g. 2026-11-28T06:00:00+09:00."
    ),
]
For = Annotated[
    timedelta | None,
    typer.Option(
        "--for",
        metavar="DURATION",
        parser=_duration_option,
        help="For this long from now, e.g. 30m, 2h, 1h30m, 7d (instead of --until).",
    ),
]


@app.command()
def dev(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")] = 3000,
    rank_every: Annotated[
        float, typer.Option("--rank-every", min=1.0, metavar="SECONDS", help="Seconds between ranking runs.")
    ] = 60.0,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Load a sample catalog and send readers.")] = False,
    dynamodb_endpoint: Annotated[
        str | None,
        typer.Option(
            "--dynamodb-endpoint",
            metavar="URL",
            help="Use this running DynamoDB-compatible server (tables are created if missing) instead of starting one.",
        ),
    ] = None,
    start_at: Annotated[
        str | None,
        typer.Option(
            "--start-at",
            metavar="ISO",
            help="Run the stack's clock (receive times, ranking runs, calendar periods) from this ISO-8601 time with "
            "offset, taken when the command starts, at normal speed, e.g. 2028-12-31T23:59:30+09:00.",
        ),
    ] = None,
    ingest_grace: Annotated[
        int | None,
        typer.Option(
            "--ingest-grace",
            min=10,
            max=900,
            metavar="SECONDS",
            help="IngestGraceSeconds for the local stack (default: the template's): how long after a slot ends "
            "the ranking waits for late views; the local stream delivers within seconds.",
        ),
    ] = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option(
            "--parameter",
            metavar="NAME=VALUE",
            help="Set a template parameter for the local stack, as sam deploy --parameter-overrides does, e.g. "
            "FreshnessTopHours=6 or EngagedSeconds=0; repeat for more.",
        ),
    ] = None,
) -> None:
    """Run the whole service locally.

    DynamoDB (DynamoDB Local, or moto without Java), every route of template.yaml over HTTP, the stream consumer,
    the scheduled ranking and a demo page at /. Prints `mostread dev: http://HOST:PORT` when ready; Ctrl-C stops it.
    """
    started = time.time()
    options = DevOptions(
        host,
        port,
        rank_every,
        demo,
        dynamodb_endpoint,
        _start_at(start_at, started),
        ingest_grace,
        _parameters(parameter or []),
    )
    raise typer.Exit(run_dev(options))


@app.command()
def rank(url: Url = DEFAULT_URL) -> None:
    """Run the ranking now on `mostread dev` and print the run's report.

    Pending stream records are delivered first, so every view recorded so far counts.
    """
    response = _call(_client(url, timeout=60).request, "POST", "/_local/rank")
    _fail_unless(response, 200, "POST /_local/rank (only `mostread dev` has it)")
    console.print(run_report_table(response.json()))


@catalog_app.command("load")
def catalog_load(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="JSON: a list of articles with article_id and the PUT fields, or an object of id -> PUT body.",
        ),
    ],
    url: Url = DEFAULT_URL,
    sigv4: SigV4 = False,
) -> None:
    """Upsert every article of FILE with PUT /v1/articles/{id}.

    Exits non-zero if any article is refused.
    """
    try:
        entries = read_catalog_file(file)
    except CatalogFileError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    client = _client(url, sigv4=sigv4)
    failures: list[tuple[str, str]] = []
    with _progress() as progress:
        task = progress.add_task("PUT /v1/articles", total=len(entries))
        for entry in entries:
            response = _call(client.put_article, entry.article_id, entry.body)
            if response.status != 200:
                failures.append((entry.article_id, _reason(response)))
            progress.advance(task)
    console.print(f"{len(entries) - len(failures)} of {len(entries)} articles stored at {url}")
    if failures:
        errors.print(catalog_failures_table(failures))
        raise typer.Exit(1)


@app.command()
def traffic(
    rate: Annotated[float, typer.Option("--rate", min=0.1, help="Requests per second.")],
    duration: Annotated[float, typer.Option("--duration", min=0.1, help="Seconds to send for.")],
    url: Url = DEFAULT_URL,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of the generator; the same seed sends the same requests. Default: a new one (printed)."
        ),
    ] = None,
    articles_from_catalog: Annotated[
        Path | None,
        typer.Option(
            "--articles-from-catalog",
            exists=True,
            dir_okay=False,
            help="Catalog file whose article ids readers view (default: the demo catalog).",
        ),
    ] = None,
) -> None:
    """Send synthetic readers to POST /v1/views.

    Zipf-popular articles, many visitors (X-Forwarded-For), some reloads, retries, batches, widget clicks and
    crawlers. A deployed API that trusts no proxy sees them all as one visitor: your address.
    """
    try:
        article_ids = [entry.article_id for entry in read_catalog_file(articles_from_catalog or CATALOG_FILE)]
    except CatalogFileError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    # A new seed by default: the same seed sends the same event ids again, which the API rightly calls duplicates.
    seed = new_seed() if seed is None else seed
    readers = SyntheticReaders(article_ids, seed=seed)
    client = _client(url)
    started = time.monotonic()
    with _progress() as progress:
        task = progress.add_task("POST /v1/views", total=max(1, round(rate * duration)))
        tally = run_traffic(
            client,
            readers,
            rate=rate,
            duration=duration,
            on_sent=lambda _: progress.advance(task),
        )
        progress.update(task, total=tally.requests)  # fewer than planned when the API could not keep pace
    console.print(tally_table(tally.as_dict(), time.monotonic() - started, seed))
    for sample in tally.error_samples:
        errors.print(f"[red]error:[/red] {sample}")
    if tally.requests and tally.errors == tally.requests:
        raise typer.Exit(1)


@app.command()
def top(
    kind: Annotated[
        str, typer.Option(help="most_read, trending (HOT ISSUE: 1h and 24h only) or engaged (read rate).")
    ] = "most_read",
    window: Annotated[str, typer.Option(help="1h, 24h or 7d.")] = "24h",
    section: Annotated[str | None, typer.Option(help="A section id (default: all sections).")] = None,
    limit: Annotated[int, typer.Option(help="1 to 50.")] = 10,
    url: Url = DEFAULT_URL,
) -> None:
    """Print a list (GET /v1/rankings) as a table.

    Each item's movement since the previous ranking run: ▲n up, ▼n down, NEW (not in that list), – unchanged;
    trending lists also show the score they are ordered by.
    """
    query = {"kind": kind, "window": window, "limit": str(limit), **({"section": section} if section else {})}
    response = _call(_client(url).get, "/v1/rankings", query)
    _fail_unless(response, 200, "GET /v1/rankings")
    console.print(ranking_table(response.json()))


@app.command()
def archive(
    period: Annotated[
        str,
        typer.Option(
            help="An ended calendar period in the site's time zone: YYYY-MM-DD, YYYY-Www (ISO week), YYYY-MM or YYYY."
        ),
    ],
    section: Annotated[str | None, typer.Option(help="A section id (default: all sections).")] = None,
    limit: Annotated[int, typer.Option(help="1 to 50.")] = 10,
    url: Url = DEFAULT_URL,
) -> None:
    """Print the most-read list of an ended day, week, month or year (GET /v1/rankings?period=) as a table.

    Computed once, a few minutes after the period ended ("not computed yet" until then); articles deleted from the
    catalog or excluded by editors since are left out. Kept ArchiveDays (400) days after the period's end.
    """
    query = {"period": period, "limit": str(limit), **({"section": section} if section else {})}
    response = _call(_client(url).get, "/v1/rankings", query)
    _fail_unless(response, 200, "GET /v1/rankings")
    console.print(ranking_table(response.json()))


@editorial_app.command("list")
def editorial_list(url: Url = DEFAULT_URL, sigv4: SigV4 = False) -> None:
    """Print the exclusions and pins in force (GET /v1/editorial); expired ones are not listed."""
    response = _call(_client(url, sigv4=sigv4).editorial)
    _fail_unless(response, 200, "GET /v1/editorial")
    listing = response.json()
    console.print(exclusions_table(listing.get("exclusions", [])))
    console.print(pins_table(listing.get("pins", [])))


@editorial_app.command("exclude")
def editorial_exclude(
    article_id: ArticleId,
    until: Until = None,
    for_: For = None,
    reason: Annotated[
        str | None, typer.Option(help="Why, for the other editors (up to 500 characters), e.g. '법원 게재 금지'.")
    ] = None,
    url: Url = DEFAULT_URL,
    sigv4: SigV4 = False,
) -> None:
    """Take ARTICLE_ID out of every list (PUT /v1/editorial/exclusions/{id}).

    Until --until or for --for; without either, until `mostread editorial unexclude`. Replaces an earlier exclusion
    of the same article; beats any pin. Takes effect at the next ranking run.
    """
    body = {"until": _until(until, for_, required=False), "reason": reason}
    response = _call(_client(url, sigv4=sigv4).put_exclusion, article_id, body)
    _fail_unless(response, 200, f"PUT /v1/editorial/exclusions/{article_id}")
    stored = response.json()
    ends = f"until {stored['until']}" if stored.get("until") else "until unexcluded"
    why = f"; reason: {stored['reason']}" if stored.get("reason") else ""
    _done(f"excluded {article_id} from every list {ends}{why} (from the next ranking run)")


@editorial_app.command("unexclude")
def editorial_unexclude(article_id: ArticleId, url: Url = DEFAULT_URL, sigv4: SigV4 = False) -> None:
    """End the exclusion of ARTICLE_ID (DELETE /v1/editorial/exclusions/{id}); exit 1 if it has none.

    The article returns to the lists it qualifies for at the next ranking run.
    """
    response = _call(_client(url, sigv4=sigv4).delete_exclusion, article_id)
    _fail_unless(response, 204, f"DELETE /v1/editorial/exclusions/{article_id}")
    _done(f"exclusion of {article_id} ended (from the next ranking run)")


@editorial_app.command("pin")
def editorial_pin(
    article_id: ArticleId,
    kind: Annotated[str, typer.Option(help="The list's kind: most_read, trending or engaged.")],
    window: Annotated[str, typer.Option(help="The list's window: 1h, 24h or 7d (trending: 1h or 24h).")],
    position: Annotated[int, typer.Option(help="1 to 50; the article stands last if the list is shorter.")],
    section: Annotated[str | None, typer.Option(help="The list's section (default: the all-sections list).")] = None,
    until: Until = None,
    for_: For = None,
    url: Url = DEFAULT_URL,
    sigv4: SigV4 = False,
) -> None:
    """Hold ARTICLE_ID at --position in one list (PUT /v1/editorial/pins/{id}), the others moving down.

    Needs --until or --for. One pin per article: a second pin replaces the first. An exclusion beats a pin.
    Takes effect at the next ranking run.
    """
    body = {
        "kind": kind,
        "window": window,
        "section": section,
        "position": position,
        "until": _until(until, for_, required=True),
    }
    response = _call(_client(url, sigv4=sigv4).put_pin, article_id, body)
    _fail_unless(response, 200, f"PUT /v1/editorial/pins/{article_id}")
    stored = response.json()
    _done(
        f"pinned {article_id} at position {stored['position']} of {list_name(stored)} until {stored['until']}"
        " (from the next ranking run)"
    )


@editorial_app.command("unpin")
def editorial_unpin(article_id: ArticleId, url: Url = DEFAULT_URL, sigv4: SigV4 = False) -> None:
    """Remove the pin of ARTICLE_ID (DELETE /v1/editorial/pins/{id}); exit 1 if it has none.

    The list returns to its own order at the next ranking run.
    """
    response = _call(_client(url, sigv4=sigv4).delete_pin, article_id)
    _fail_unless(response, 204, f"DELETE /v1/editorial/pins/{article_id}")
    _done(f"pin of {article_id} removed (from the next ranking run)")


def _client(url: str, *, sigv4: bool = False, timeout: float = 10.0) -> ApiClient:
    """The API client for ``--url`` (a usage error if it is no http(s) URL), signing when ``--sigv4``."""
    signer = _call(SigV4Signer, region_of_url(url)) if sigv4 else None
    try:
        return ApiClient(url, signer=signer, timeout=timeout)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--url") from None


def _until(until: str | None, duration: timedelta | None, *, required: bool) -> str | None:
    """``--until`` as given, or ``--for`` as an ISO-8601 time with offset counted from ``clock()``."""
    if until is not None and duration is not None:
        raise typer.BadParameter("give --until or --for, not both", param_hint="'--until' / '--for'")
    if duration is not None:
        now = clock()
        now = now if now.tzinfo is not None else now.astimezone()
        return (now + duration).replace(microsecond=0).isoformat()
    if until is None and required:
        raise typer.BadParameter("give --until ISO or --for DURATION", param_hint="'--until' / '--for'")
    return until


def _parameters(given: list[str]) -> tuple[tuple[str, str], ...]:
    """``Name=Value`` pairs naming parameters of template.yaml."""
    from mostread_dev.template import load_template

    known = load_template().parameters
    pairs = []
    for text in given:
        name, equals, value = text.partition("=")
        if not equals or name not in known:
            raise typer.BadParameter(
                f"{text!r}: give NAME=VALUE with a parameter of template.yaml", param_hint="--parameter"
            )
        pairs.append((name, value))
    return tuple(pairs)


def _start_at(text: str | None, started: float) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO-8601 time", param_hint="--start-at") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time with an offset, e.g. +09:00 or Z", param_hint="--start-at")
    return moment.timestamp(), started


def _done(message: str) -> None:
    """One line of plain text (catalog text is never read as markup, nor wrapped)."""
    console.print(Text(message), soft_wrap=True)


def _call(action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``action(...)``, or exit 2 with a message when the API cannot be reached."""
    try:
        return action(*args, **kwargs)
    except ApiUnavailable as error:
        errors.print(Text(str(error), style="red"), soft_wrap=True)
        raise typer.Exit(2) from None


def _fail_unless(response: ApiResponse, status: int, what: str) -> None:
    if response.status != status:
        errors.print(Text(f"{what}: HTTP {response.status} {_reason(response)}", style="red"), soft_wrap=True)
        raise typer.Exit(1)


def _reason(response: ApiResponse) -> str:
    """The contract's error as ``code (field): message``; otherwise what the body says (API Gateway's own
    refusals, e.g. an IAM 403, are ``{"message": ...}``)."""
    raw = response.body[:300].decode(errors="replace")
    try:
        document = response.json()
    except ValueError:
        return raw
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        message = document.get("message") if isinstance(document, dict) else None
        return str(message) if message else raw
    field = f" ({error['field']})" if error.get("field") else ""
    return f"{error.get('code', response.status)}{field}: {error.get('message', '')}"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=errors
    )


# status, inspect, export, recompute, replay-failed and catalog dump: they act on a resolved target (--url or --stack)
register_ops_commands(app, catalog_app)

if __name__ == "__main__":
    app()
