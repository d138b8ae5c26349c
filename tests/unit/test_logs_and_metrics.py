"""The functions' JSON logs and CloudWatch EMF metrics: the format CloudWatch and the template's alarms read."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
from mostread import caches
from mostread.observability import MAX_METRICS_PER_LINE, Logger, Metrics, MetricUnit

CONTEXT = SimpleNamespace(
    function_name="track",
    memory_limit_in_mb=256,
    invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:track",
    aws_request_id="req-1",
)


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_metrics_are_one_emf_document_per_invocation(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = Metrics()

    @metrics.log_metrics
    def handler() -> str:
        metrics.add_metric("ViewsCounted", MetricUnit.Count, 2)
        metrics.add_metric("ViewsCounted", MetricUnit.Count, 1)
        metrics.add_metric("RankingSeconds", MetricUnit.Seconds, 0.5)
        return "ok"

    assert handler() == "ok"
    [document] = lines(capsys.readouterr().out)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "mostread"
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [
        {"Name": "ViewsCounted", "Unit": "Count"},
        {"Name": "RankingSeconds", "Unit": "Seconds"},
    ]
    assert document["ViewsCounted"] == [2.0, 1.0]
    assert document["RankingSeconds"] == [0.5]
    assert document["service"] == "mostread"
    handler.__wrapped__()  # type: ignore[attr-defined]
    metrics.flush_metrics()
    assert lines(capsys.readouterr().out)[0]["ViewsCounted"] == [2.0, 1.0]  # nothing carried over from before


def test_metrics_are_printed_when_the_handler_raises(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = Metrics()

    @metrics.log_metrics
    def handler() -> None:
        metrics.add_metric("DependencyFailures", MetricUnit.Count, 1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler()
    assert lines(capsys.readouterr().out)[0]["DependencyFailures"] == [1.0]


def test_no_document_without_metrics_and_at_most_the_cloudwatch_limit_per_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = Metrics()
    metrics.flush_metrics()
    assert capsys.readouterr().out == ""
    for number in range(MAX_METRICS_PER_LINE + 1):
        metrics.add_metric(f"M{number}", MetricUnit.Count, 1)
    metrics.flush_metrics()
    documents = lines(capsys.readouterr().out)
    assert [len(d["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for d in documents] == [MAX_METRICS_PER_LINE, 1]


def test_metrics_disabled_as_powertools_reads_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    caches.reset()  # read once per container: a changed environment is a new container
    metrics = Metrics()
    metrics.add_metric("ViewsCounted", MetricUnit.Count, 1)
    metrics.flush_metrics()
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.add_metric("ViewsCounted", MetricUnit.Count, 1)
    metrics.flush_metrics()
    assert capsys.readouterr().out == "", "the same container keeps what it read"
    caches.reset()
    metrics.add_metric("ViewsCounted", MetricUnit.Count, 1)
    metrics.flush_metrics()
    assert lines(capsys.readouterr().out)[0]["ViewsCounted"] == [1.0]  # the disabled flush dropped the first


def test_log_lines_are_json_with_context_correlation_id_and_korean_unescaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger = Logger()

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
    def handler(event: dict, context: object) -> None:
        logger.info("기사 조회 거절", extra={"reason": "bot", "title": "속보 <b>"})

    handler({"requestContext": {"requestId": "abc"}}, CONTEXT)
    handler({"requestContext": "not a mapping"}, CONTEXT)
    first, second = lines(capsys.readouterr().out)
    assert first["message"] == "기사 조회 거절"
    assert first["level"] == "INFO"
    assert first["correlation_id"] == "abc"
    assert first["cold_start"] is True and second["cold_start"] is False
    assert first["function_request_id"] == "req-1"
    assert first["reason"] == "bot" and first["title"] == "속보 <b>"
    assert second["correlation_id"] is None


def test_exceptions_are_logged_with_their_name(capsys: pytest.CaptureFixture[str]) -> None:
    logger = Logger()
    try:
        raise ValueError("bad")
    except ValueError:
        logger.exception("failed")
    [line] = lines(capsys.readouterr().out)
    assert line["exception_name"] == "ValueError"
    assert "ValueError: bad" in line["exception"]


def test_the_root_handlers_do_not_print_a_service_line_twice(capsys: pytest.CaptureFixture[str]) -> None:
    runtime_handler = logging.StreamHandler()  # stands for the Lambda runtime's handler on the root logger
    root = logging.getLogger()
    root.addHandler(runtime_handler)
    try:
        logger = Logger()
        logger.warning("once")
        logging.getLogger("other").warning("someone else's")
    finally:
        root.removeHandler(runtime_handler)
    captured = capsys.readouterr()
    assert [line["message"] for line in lines(captured.out)] == ["once"]
    assert "once" not in captured.err
    assert "someone else's" in captured.err


def test_the_emf_line_is_what_serialising_the_whole_document_gives(capsys: pytest.CaptureFixture[str]) -> None:
    """The document is written from a template serialised once per set of metrics: byte for byte the JSON of the
    whole document, whatever the values (non-finite ones included) and with a set of metrics never seen before."""
    import time

    metrics = Metrics()
    for values in ([1, 0, 3], [0.5, 2, 7], [float("nan"), 1e300, -0.0], [float("inf"), float("-inf"), 1e-7]):
        metrics.add_metric("ViewsAccepted", MetricUnit.Count, values[0])
        metrics.add_metric("ViewsAccepted", MetricUnit.Count, values[1])
        metrics.add_metric("RankingSeconds", MetricUnit.Seconds, values[2])
        before = int(time.time() * 1000)
        metrics.flush_metrics()
        [line] = capsys.readouterr().out.splitlines()
        timestamp = json.loads(line)["_aws"]["Timestamp"]
        assert before <= timestamp <= int(time.time() * 1000)
        expected = {
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [
                    {
                        "Namespace": "mostread",
                        "Dimensions": [["service"]],
                        "Metrics": [
                            {"Name": "ViewsAccepted", "Unit": "Count"},
                            {"Name": "RankingSeconds", "Unit": "Seconds"},
                        ],
                    }
                ],
            },
            "service": "mostread",
            "ViewsAccepted": [float(values[0]), float(values[1])],
            "RankingSeconds": [float(values[2])],
        }
        assert line == json.dumps(expected, separators=(",", ":"))
    metrics.add_metric('Odd "name" 한글', MetricUnit.Bytes, 1)
    metrics.flush_metrics()
    [document] = lines(capsys.readouterr().out)
    assert document['Odd "name" 한글'] == [1.0]
    assert document["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": 'Odd "name" 한글', "Unit": "Bytes"}]


def test_add_counts_prints_what_add_metric_would(capsys: pytest.CaptureFixture[str]) -> None:
    counts = {"ViewsAccepted": 1, "ViewsDuplicate": 0, "ViewsIgnored": 25, "Large": 64, "Larger": 10_000}
    by_one = Metrics()
    for name, value in counts.items():
        by_one.add_metric(name, MetricUnit.Count, value)
    by_one.flush_metrics()
    expected = lines(capsys.readouterr().out)
    together = Metrics()
    together.add_counts(counts)
    together.add_counts({"ViewsAccepted": 2})
    together.flush_metrics()
    printed = lines(capsys.readouterr().out)
    for document in (expected, printed):
        for line in document:
            line["_aws"].pop("Timestamp")
    expected[0]["ViewsAccepted"] = [1.0, 2.0]
    assert printed == expected
