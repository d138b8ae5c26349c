"""The ``mostread`` command: the local stack (``dev``) and the ops commands that talk to any deployment."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mostread_dev.api_client import DEFAULT_URL, ApiClient, ApiResponse, ApiUnavailable, SigV4Signer, region_of_url
from mostread_dev.catalog_file import CatalogFileError, read_catalog_file
from mostread_dev.demo_site import CATALOG_FILE
from mostread_dev.render import catalog_failures_table, ranking_table, run_report_table, tally_table
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

P = ParamSpec("P")
T = TypeVar("T")

console = Console()
errors = Console(stderr=True)

Url = Annotated[str, typer.Option("--url", help="Base URL of the API: `mostread dev`, or a deployed stack's ApiUrl.")]


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
) -> None:
    """Run the whole service locally.

    DynamoDB (DynamoDB Local, or moto without Java), every route of template.yaml over HTTP, the stream consumer,
    the scheduled ranking and a demo page at /. Prints `mostread dev: http://HOST:PORT` when ready; Ctrl-C stops it.
    """
    options = DevOptions(host, port, rank_every, demo, dynamodb_endpoint)
    raise typer.Exit(run_dev(options))


@app.command()
def rank(url: Url = DEFAULT_URL) -> None:
    """Run the ranking now on `mostread dev` and print the run's report.

    Pending stream records are delivered first, so every view recorded so far counts.
    """
    response = _call(ApiClient(url, timeout=60).request, "POST", "/_local/rank")
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
    sigv4: Annotated[
        bool, typer.Option("--sigv4", help="Sign with your AWS credentials (a deployed API requires IAM).")
    ] = False,
) -> None:
    """Upsert every article of FILE with PUT /v1/articles/{id}.

    Exits non-zero if any article is refused.
    """
    try:
        entries = read_catalog_file(file)
    except CatalogFileError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    signer = _call(SigV4Signer, region_of_url(url)) if sigv4 else None
    client = ApiClient(url, signer=signer)
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
    client = ApiClient(url)
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
    window: Annotated[str, typer.Option(help="1h, 24h or 7d.")] = "24h",
    section: Annotated[str | None, typer.Option(help="A section id (default: all sections).")] = None,
    limit: Annotated[int, typer.Option(help="1 to 50.")] = 10,
    url: Url = DEFAULT_URL,
) -> None:
    """Print a most-read list (GET /v1/rankings)."""
    query = {"window": window, "limit": str(limit), **({"section": section} if section else {})}
    response = _call(ApiClient(url).get, "/v1/rankings", query)
    _fail_unless(response, 200, "GET /v1/rankings")
    console.print(ranking_table(response.json()))


def _call(action: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``action(...)``, or exit 2 with a message when the API cannot be reached."""
    try:
        return action(*args, **kwargs)
    except ApiUnavailable as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def _fail_unless(response: ApiResponse, status: int, what: str) -> None:
    if response.status != status:
        errors.print(f"[red]{what}: HTTP {response.status} {_reason(response)}[/red]")
        raise typer.Exit(1)


def _reason(response: ApiResponse) -> str:
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        return response.body[:200].decode(errors="replace")
    field = f" ({error['field']})" if error.get("field") else ""
    return f"{error.get('code', response.status)}{field}: {error.get('message', '')}"


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=errors
    )


if __name__ == "__main__":
    app()
