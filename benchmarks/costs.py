"""6. What a million page views cost, each with a widget load: prices (with their sources) times what section 3
measured, with and without CloudFront in front."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.report import Section, Table

if TYPE_CHECKING:
    from benchmarks.bench_units import Result

TITLE = "6. Cost per million page views"
# On-demand prices, us-east-1 (the region's services) and CloudFront's by where readers are, as the pages below list
# them for the first pricing tier.
DYNAMODB_URL = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
WRITE_UNIT, READ_UNIT = 0.625, 0.125  # $ per million write / read request units
API_URL = "https://aws.amazon.com/api-gateway/pricing/"
API_REQUEST = 1.00  # $ per million HTTP API requests (first 300 million a month)
LAMBDA_URL = "https://aws.amazon.com/lambda/pricing/"
LAMBDA_REQUEST, LAMBDA_GB_SECOND = 0.20, 0.0000133334  # $ per million requests; $ per GB-second on arm64
TRANSFER_URL = "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer"
TRANSFER_OUT = 0.09  # $ per GB from the region to the internet (first 10 TB a month), API Gateway's responses
CLOUDFRONT_URL = "https://aws.amazon.com/cloudfront/pricing/"


@dataclass(frozen=True)
class Edge:
    """CloudFront's prices where the readers are."""

    name: str
    request: float  # $ per 10,000 HTTPS requests (GET and POST alike)
    transfer_out: float  # $ per GB to the internet (first 10 TB a month)
    to_origin: float  # $ per GB from the edge to the origin (the tracking calls' bodies)


EDGES = (Edge("South Korea", 0.0120, 0.120, 0.060), Edge("United States", 0.0100, 0.085, 0.020))
# Assumptions, not measurements: the status line and the headers API Gateway or CloudFront add to a response, and
# the headers CloudFront forwards with a tracking call; how often the origin is asked for a list (max-age 30 s, one
# fetch per 30 s from each of two regional edge caches).
FRAMING_BYTES = 200
FORWARDED_BYTES = 600
ORIGIN_FETCHES_PER_MINUTE = 4
GB = 1024**3
# The tracker's second report per page view (EngagedSeconds, template.yaml; 0 turns it off): priced as if every
# reader stayed, an upper bound. It is one more tracking call whose only write is one conditional UpdateItem of
# the page view's item; its row in the stream consumer's log chunks is a few bytes (not priced).
ENGAGED_ITEM = "Engaged report, at most one per page view (EngagedSeconds=0: none)"


def _gb(function_id: str) -> float:
    """A function's memory in GB, as template.yaml configures it (Lambda bills GB-seconds)."""
    from mostread_dev.template import load_template

    return int(load_template().function_property(function_id, "MemorySize")) / 1024


def dynamodb(write_units: float, read_units: float) -> float:
    """$ for these units per view, per million views."""
    return write_units * WRITE_UNIT + read_units * READ_UNIT


def _lines(result: Result) -> list[tuple[str, str, list[float]]]:
    """(item, measured | arithmetic, $ per million page views without a CDN and then with CloudFront per edge)."""
    hour = result.counted.requests  # page views in the measured minutes: each sends one tracking request
    edges = len(EDGES)
    fetched = ORIGIN_FETCHES_PER_MINUTE * result.scenario.minutes / hour  # list reads at the origin per page view
    background = (result.invocations["ingest"] + result.invocations["rank"]) / hour  # invocations per page view
    background_gbs = (
        result.seconds["ingest"] * _gb("IngestFunction") + result.seconds["rank"] * _gb("RankFunction")
    ) / hour
    track_gbs = result.seconds_per_call("track") * _gb("TrackFunction")
    read_gbs = result.seconds_per_call("read") * _gb("ReadFunction")
    read_rcu = result.widget[("warm", 10)][1]
    body, gzipped = result.widget_bytes
    tracking = result.tracking_bytes + FRAMING_BYTES
    million = 1e6
    return [
        (
            "DynamoDB: tracker, stream consumer, ranking runs, catalog",
            "measured",
            [dynamodb(result.units_per_request(read=False), result.units_per_request(read=True))] * (1 + edges),
        ),
        (
            "DynamoDB: the widget's list reads at the origin",
            "measured",
            [read_rcu * READ_UNIT, *[read_rcu * READ_UNIT * fetched] * edges],
        ),
        (
            "API Gateway requests: the tracking call, the list read at the origin",
            "arithmetic",
            [2 * API_REQUEST, *[(1 + fetched) * API_REQUEST] * edges],
        ),
        (
            "Lambda requests: track, read; ingest batches and ranking runs",
            "measured",
            [(2 + background) * LAMBDA_REQUEST, *[(1 + fetched + background) * LAMBDA_REQUEST] * edges],
        ),
        (
            "Lambda duration: GB-seconds of local wall time",
            "measured",
            [
                (track_gbs + read_gbs + background_gbs) * million * LAMBDA_GB_SECOND,
                *[(track_gbs + fetched * read_gbs + background_gbs) * million * LAMBDA_GB_SECOND] * edges,
            ],
        ),
        (
            "Data transfer to readers: the answers (the list as JSON; gzipped by CloudFront)",
            "arithmetic",
            [
                million * (tracking + body + FRAMING_BYTES) / GB * TRANSFER_OUT,
                *[million * (tracking + gzipped + FRAMING_BYTES) / GB * edge.transfer_out for edge in EDGES],
            ],
        ),
        (
            "CloudFront requests: the tracking call and the list",
            "arithmetic",
            [0.0, *[2 * million / 10_000 * edge.request for edge in EDGES]],
        ),
        (
            "CloudFront to the origin: the tracking calls",
            "arithmetic",
            [
                0.0,
                *[million * (result.tracking_request_bytes + FORWARDED_BYTES) / GB * edge.to_origin for edge in EDGES],
            ],
        ),
        (
            f"{ENGAGED_ITEM}: API Gateway and Lambda request, the tracker's time, one write unit, the answer",
            "arithmetic",
            [
                API_REQUEST
                + LAMBDA_REQUEST
                + track_gbs * million * LAMBDA_GB_SECOND
                + WRITE_UNIT
                + million * (tracking + FRAMING_BYTES) / GB * TRANSFER_OUT,
                *[
                    API_REQUEST
                    + LAMBDA_REQUEST
                    + track_gbs * million * LAMBDA_GB_SECOND
                    + WRITE_UNIT
                    + million / 10_000 * edge.request
                    + million * (result.tracking_request_bytes + FORWARDED_BYTES) / GB * edge.to_origin
                    + million * (tracking + FRAMING_BYTES) / GB * edge.transfer_out
                    for edge in EDGES
                ],
            ],
        ),
    ]


def section(results: Sequence[Result], quick: bool, seconds: float) -> Section:
    tables = []
    findings = []
    for result in results:
        lines = _lines(result)
        columns = ["item", "how", "no CDN", *[f"CloudFront, readers in {edge.name}" for edge in EDGES]]
        table = Table(f"{result.scenario.label}: $ per million page views, each with one widget load", columns)
        totals = [sum(values[n] for _, _, values in lines) for n in range(1 + len(EDGES))]
        for item, how, values in lines:
            table.add(item, how, *(f"{value:.3f}" for value in values))
        table.add("**total**", "", *(f"**{value:.2f}**" for value in totals))
        tables.append(table)
        cheaper = totals[0] < min(totals[1:])
        engaged = next(values for item, _, values in lines if item.startswith(ENGAGED_ITEM))
        findings.append(
            f"{result.scenario.label}: of these totals, the engaged report is at most ${engaged[0]:.2f} without a CDN "
            f"and ${min(engaged[1:]):.2f}–${max(engaged[1:]):.2f} with CloudFront (every reader staying); "
            "EngagedSeconds=0 removes it."
        )
        findings.append(
            f"{result.scenario.label}: ${totals[0]:.2f} per million page views without a CDN, "
            + ", ".join(
                f"${total:.2f} with CloudFront for readers in {e.name}"
                for e, total in zip(EDGES, totals[1:], strict=True)
            )
            + (
                ". Without a CDN it is cheaper: CloudFront charges every request, the tracking call's included, "
                "which still reaches API Gateway and Lambda; what the CDN saves is the widget read's API Gateway and "
                "Lambda request, its duration and its DynamoDB read."
                if cheaper
                else ". The CDN is cheaper: the widget read no longer reaches API Gateway, Lambda or DynamoDB."
            )
        )
    findings.append(
        "Left out: the free tiers (CloudFront's 10 million requests and 1 TB a month, Lambda's 1 million requests and "
        "400,000 GB-seconds), storage, backups, CloudWatch, the scripts (cached by browsers for a day), and any "
        "discount. A site that loads several lists per page pays the widget rows once per list."
    )
    method = f"""
Per million page views, each sending one tracking call and loading one list (`GET /v1/rankings`, the 24h list at
limit 10), at the two rates of section 3, over the simulated minutes it measured at each (per page view, so
nothing is scaled up to an hour). *Measured* rows come from section 3's run (the same commit): DynamoDB units
of the tracker, stream consumer, ranking runs and catalog per page view (every tracking request, crawlers' included,
is a page view), the widget read's units in a warm read container (a new container also fetches the cards: a few
times a day per container), the numbers of stream batches and ranking runs per page view, and the functions' wall time
per call on DynamoDB Local on this machine (Lambda bills its own latency: arm64 at 256 MB has less CPU, DynamoDB
answers in milliseconds). *Arithmetic* rows are counts times prices, with sizes measured (the list's JSON,
{{body}} bytes, gzipped by CloudFront) or assumed ({FRAMING_BYTES} bytes of status line and gateway headers per
response, {FORWARDED_BYTES} bytes of headers forwarded with a tracking call).

With the CDN (EnableCdn, template.yaml), CloudFront answers the lists from its cache: the origin is asked for a list
at most once per max-age (30 s) per regional edge cache, taken here as {ORIGIN_FETCHES_PER_MINUTE} fetches a minute
(two caches), whatever the traffic; the tracking call passes through CloudFront to API Gateway. Prices: DynamoDB on
demand ${WRITE_UNIT}/${READ_UNIT} per million write/read units ({DYNAMODB_URL}); HTTP API ${API_REQUEST:.2f} per
million requests ({API_URL}); Lambda ${LAMBDA_REQUEST:.2f} per million requests and ${LAMBDA_GB_SECOND} per
GB-second on arm64 ({LAMBDA_URL}); data transfer from the region to the internet ${TRANSFER_OUT}/GB ({TRANSFER_URL});
CloudFront ({CLOUDFRONT_URL}) per 10,000 HTTPS requests, per GB to the internet and per GB to the origin:
{"; ".join(f"{e.name} ${e.request:.4f}, ${e.transfer_out:.3f}, ${e.to_origin:.3f}" for e in EDGES)}.
"""
    body = results[0].widget_bytes[0] if results else 0
    return Section(
        "cost",
        TITLE,
        method.replace("{body}", f"{body:,}"),
        "python -m benchmarks.run units",
        tables,
        findings,
        quick,
        seconds,
    )
