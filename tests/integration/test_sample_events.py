"""events/ holds one sample event per function (for `sam local invoke -e` elsewhere); each one works."""

import json
from pathlib import Path

import pytest
from mostread_dev.template import load_template

from tests.harness import ROOT, FakeContext, load_function

EVENTS = ROOT / "events"


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def test_every_function_has_a_sample_event():
    functions = {Path(props["CodeUri"]).name for props in load_template().functions().values()}
    prefixes = {path.name.split("-")[0].removesuffix(".json") for path in EVENTS.glob("*.json")}
    assert functions <= prefixes


@pytest.mark.parametrize(
    ("function", "event", "status"),
    [
        ("catalog", "catalog-put.json", 200),
        ("track", "track.json", 202),
        ("read", "read-rankings.json", 200),
        ("read", "read-article-views.json", 200),
        ("assets", "assets.json", 200),
        ("editorial", "editorial-put-exclusion.json", 200),
        ("editorial", "editorial-put-pin.json", 200),
        ("editorial", "editorial-list.json", 200),
    ],
)
def test_http_samples(ddb_table, function, event, status):
    response = load_function(function).handler(sample(event), FakeContext())
    assert response["statusCode"] == status, response


def test_stream_and_schedule_samples(ddb_table):
    assert load_function("ingest").handler(sample("ingest.json"), FakeContext()) == {"batchItemFailures": []}
    report = load_function("rank").handler(sample("rank.json"), FakeContext())
    assert "lists_written" in report
