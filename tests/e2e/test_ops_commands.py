"""The inspecting and repairing commands against `mostread dev` on DynamoDB Local, as an operator runs them: the
local stack's endpoints come from GET /_local/environment, and the commands make the same boto3 calls as against a
deployed stack (DynamoDB, its stream, the failure queue in moto's SQS).

A failing stream consumer is made with POST /_local/faults: after the template's retries its batches go to the local
failure queue, and `mostread replay-failed` logs them after all."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mostread_dev import cli
from mostread_dev.catalog_file import parse_catalog
from typer.testing import CliRunner

from tests.e2e.support import ROOT, Api, article_body, avoid_dedupe_slot_boundary, hours_ago, unique

pytestmark = pytest.mark.e2e


def mostread(base_url: str, *arguments: str) -> Any:
    return CliRunner().invoke(cli.app, [*arguments, "--url", base_url])


def fault(api: Api, failures: int) -> None:
    response = api.request("POST", "/_local/faults", json={"function": "IngestFunction", "failures": failures})
    assert response.status_code == 200, response.text


def test_replay_failed_logs_what_a_failing_stream_consumer_gave_up(api: Api, base_url: str) -> None:
    refused = api.request("POST", "/_local/faults", json={"function": "NoSuchFunction", "failures": 1})
    assert refused.status_code == 400
    article_id = unique("replay")
    assert api.put_article(article_id, article_body("버스 파업 속보", "society", hours_ago(1))).status_code == 200
    avoid_dedupe_slot_boundary()
    assert api.request("POST", "/_local/drain").status_code == 200  # nothing of other tests pending
    fault(api, 1000)
    try:
        for visitor in ("198.51.100.21", "198.51.100.22"):
            assert api.view({"article_id": article_id}, visitor=visitor).json()["accepted"] == 1
        drained = api.request("POST", "/_local/drain").json()
    finally:
        fault(api, 0)
    assert (drained["delivered"], drained["given_up"]) == (0, 2), drained
    api.rank()
    assert api.views_of(article_id)["1h"] == 0

    status = mostread(base_url, "status")
    assert status.exit_code == 1
    assert "failed stream batch(es) queued: mostread replay-failed" in status.stderr

    replayed = mostread(base_url, "replay-failed", "--yes")
    assert replayed.exit_code == 0, replayed.output
    assert "2 views logged" in replayed.stdout and "0 left in the queue" in replayed.stdout
    assert api.views_of(article_id) == {"1h": 2, "24h": 2, "7d": 2}

    again = mostread(base_url, "replay-failed", "--yes")
    assert (again.exit_code, again.stdout.strip()) == (0, "the failure queue is empty: nothing to replay")

    # as an operator runs it: the installed entry point, its exit status and one JSON document
    process = subprocess.run(
        [sys.executable, "-m", "mostread_dev", "status", "--json", "--url", base_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    document = json.loads(process.stdout)
    assert process.returncode == 0, (document["problems"], process.stderr)
    assert document["failure_queue"]["visible"] == 0
    assert document["stream"]["given_up"] >= 2
    assert document["lists"]["non_empty"] >= 1


def test_recompute_on_a_consistent_stack_has_nothing_to_change(base_url: str) -> None:
    result = mostread(base_url, "recompute", "--from", "3h")
    assert result.exit_code == 0, result.output
    assert "nothing to change" in result.stdout


def test_inspect_shows_the_capped_views_of_an_article_pushed_from_one_address(api: Api, base_url: str) -> None:
    article_id = unique("pushed")
    assert (
        api.put_article(article_id, article_body("조회수 조작 의심 기사", "economy", hours_ago(2))).status_code == 200
    )
    avoid_dedupe_slot_boundary()
    for number in range(23):  # 23 browsers behind one address; MaxViewsPerAddress is 20
        user_agent = f"Mozilla/5.0 (Windows NT 10.0) Chrome/131.0.{number}.0 Safari/537.36"
        assert api.view({"article_id": article_id}, visitor="203.0.113.77", user_agent=user_agent).status_code == 202
    api.rank()
    result = mostread(base_url, "inspect", article_id, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["published"]["counts"]["1h"] == 20
    assert document["published"]["capped"]["1h"] == 3
    assert document["totals_over_buckets"] == {"views": 20, "widget_clicks": 0, "capped": 3}
    assert {(p["kind"], p["window"], p["section"]) for p in document["positions"]} >= {("most_read", "1h", "economy")}
    table = mostread(base_url, "inspect", article_id)
    assert "조회수 조작 의심 기사" in table.stdout and "capped" in table.stdout


def test_export_csv_keeps_korean_and_defuses_formulas(api: Api, base_url: str, tmp_path: Path) -> None:
    section = unique("culture").replace("-", "_")
    titles = {unique("k1"): '가을 축제, "전통 시장" 활기', unique("k2"): "=1+1 수식처럼 보이는 제목"}
    for article_id, title in titles.items():
        assert api.put_article(article_id, article_body(title, section, hours_ago(3))).status_code == 200
    for number, article_id in enumerate(titles):
        for visitor in range(2 - number):
            api.view({"article_id": article_id}, visitor=f"198.51.100.{40 + visitor}")
    api.rank()
    output = tmp_path / "list.csv"
    result = mostread(base_url, "export", "--window", "1h", "--section", section, "--output", str(output), "--bom")
    assert result.exit_code == 0, result.output
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [row["article_id"] for row in rows] == list(titles)
    first, second = titles.values()
    assert rows[0]["title"] == first
    assert rows[1]["title"] == "'" + second
    assert rows[0]["views"] == "2" and rows[0]["section"] == section

    catalog = mostread(base_url, "catalog", "dump")
    assert catalog.exit_code == 0, catalog.output
    dumped = {entry.article_id: entry.body for entry in parse_catalog(json.loads(catalog.stdout))}
    assert {article_id: dumped[article_id]["title"] for article_id in titles} == titles
