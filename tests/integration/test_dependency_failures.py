"""When DynamoDB throttles, fails or cannot be reached, every function answers 503 with Retry-After and the
contract's error body (never a 500, never a stack trace), counts it (ServiceUnavailable) and logs the error's class
but not the event. Client errors stay what they were. A retried tracking request never counts a view twice.

Failures are injected into the real call path (tests/faults.py): each DynamoDB call each route makes fails in turn.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError as BotoClientError
from mostread import failures

from tests.conftest import TEST_TABLE_NAME, clear_mostread_caches
from tests.emf import emitted_metrics
from tests.faults import DEPENDENCY_FAILURES, aws_error, failing, recording
from tests.harness import Service, article

SALTS_TABLE = f"{TEST_TABLE_NAME}-salts"
READER_IP = "198.51.100.42"
THROTTLED = DEPENDENCY_FAILURES["ThrottlingException"]
UNREACHABLE = DEPENDENCY_FAILURES["EndpointConnectionError"]


def assert_unavailable(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 503, response
    headers = {name.lower(): value for name, value in response["headers"].items()}
    assert 1 <= int(headers["retry-after"]) <= 5
    assert headers["cache-control"] == "no-store"
    assert headers["content-type"].startswith("application/json")
    body = json.loads(response["body"])
    assert body == {"error": {"code": "service_unavailable", "message": body["error"]["message"], "field": None}}
    assert body["error"]["message"]


class Reports:
    """What the handlers published (EMF metrics on stdout) and logged (Powertools log records)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
        self.capsys, self.caplog = capsys, caplog

    def clear(self) -> None:
        self.capsys.readouterr()
        self.caplog.clear()

    def metrics(self) -> Counter[str]:
        return emitted_metrics(self.capsys.readouterr().out)

    def assert_one_503(self, cause: str) -> list[logging.LogRecord]:
        """One ServiceUnavailable, and one log record naming ``cause`` (the error's class or its AWS code)."""
        assert self.metrics()[failures.METRIC] == 1
        logged = [
            record
            for record in self.caplog.records
            if cause in (vars(record).get("error"), vars(record).get("aws_code"))
        ]
        assert len(logged) == 1, [vars(record) for record in self.caplog.records]
        everything = "".join(str(vars(record)) for record in self.caplog.records)
        for secret in (READER_IP, "Traceback", "(injected)"):  # no event, no stack trace, no error message
            assert secret not in everything
        return logged


@pytest.fixture
def reports(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Reports:
    caplog.set_level(logging.INFO)
    return Reports(capsys, caplog)


def reader_view(service: Service, body: Any) -> dict[str, Any]:
    return service.post_views(body, headers={"x-forwarded-for": READER_IP})


# --- the tracker -------------------------------------------------------------------------------------


TRACKER_CALL_SITES = {
    "salt GetItem": ("GetItem", SALTS_TABLE),
    "salt PutItem": ("PutItem", SALTS_TABLE),
    "view PutItem": ("PutItem", TEST_TABLE_NAME),
}


def cold_container_on_a_new_day() -> None:
    """No salt in the table nor in memory: the next view reads the salt, creates it, and stores the view."""
    client = boto3.client("dynamodb")
    for item in client.scan(TableName=SALTS_TABLE)["Items"]:
        client.delete_item(TableName=SALTS_TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    clear_mostread_caches()


@pytest.mark.parametrize("call_site", sorted(TRACKER_CALL_SITES))
def test_tracker_answers_503_when_any_of_its_calls_fails(service: Service, reports: Reports, call_site: str) -> None:
    operation, table = TRACKER_CALL_SITES[call_site]
    for number, failure in enumerate(sorted(DEPENDENCY_FAILURES)):
        cold_container_on_a_new_day()
        body = {"article_id": "a1", "event_id": f"evt-unavailable-{number:03d}"}
        reports.clear()
        with failing(operation, DEPENDENCY_FAILURES[failure], table=table) as fault:
            response = reader_view(service, body)
        assert fault.failed == 1, failure
        assert_unavailable(response)
        reports.assert_one_503(failure)
        assert service.item_count("view#") == number
        # the page's retry, once DynamoDB is back, counts the view
        assert json.loads(reader_view(service, body)["body"]) == {"accepted": 1, "duplicate": 0, "ignored": 0}


def test_tracker_answers_503_for_any_unexpected_exception(
    service: Service, reports: Reports, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError(f"bug while handling {READER_IP} (injected)")

    monkeypatch.setattr(service.track, "track_views", broken)
    reports.clear()
    assert_unavailable(reader_view(service, {"article_id": "a1"}))
    [logged] = reports.assert_one_503("RuntimeError")
    assert getattr(logged, "where", "").startswith(__file__)  # the line that raised, instead of the message


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ("{not json", {}, 400),
        ('{"article_id": "no/slash"}', {}, 400),
        ('{"article_id": "a1"}', {"content-type": "application/xml"}, 415),
        ("x" * 20_000, {}, 413),
    ],
)
def test_tracker_client_errors_are_unchanged_while_dynamodb_is_down(
    service: Service, reports: Reports, body: str, headers: dict[str, str], status: int
) -> None:
    reports.clear()
    with failing("*", THROTTLED) as fault:
        response = service.post_views(body, raw=True, headers=headers)
    assert response["statusCode"] == status
    assert fault.calls == 0
    assert failures.METRIC not in reports.metrics()


def test_ignored_views_need_no_dynamodb(service: Service) -> None:
    with failing("*", UNREACHABLE) as fault:
        response = service.post_views({"article_id": "a1"}, headers={"user-agent": "Googlebot/2.1"})
    assert response["statusCode"] == 202
    assert json.loads(response["body"])["ignored"] == 1
    assert fault.calls == 0


@pytest.mark.parametrize("with_event_ids", [True, False])
@pytest.mark.parametrize("failing_put", [1, 13, 25])
def test_a_retried_batch_after_a_partial_failure_counts_each_view_once(
    service: Service, failing_put: int, with_event_ids: bool
) -> None:
    for n in range(25):
        assert service.put_article(f"a{n}", article(title=f"기사 {n}"))["statusCode"] == 200
    views = [
        {"article_id": f"a{n}", **({"event_id": f"batch-retry-{n:04d}"} if with_event_ids else {})} for n in range(25)
    ]
    # DynamoDB starts failing at the k-th put of the batch (the puts run side by side: which views those are
    # varies, how many does not)
    with failing("PutItem", THROTTLED, table=TEST_TABLE_NAME, after=failing_put - 1) as fault:
        assert_unavailable(reader_view(service, {"views": views}))
    assert (fault.calls, fault.failed) == (25, 25 - failing_put + 1)  # every put was tried before the answer
    written = failing_put - 1
    assert service.item_count("view#") == written

    service.clock.advance(5)  # the page's retry, a moment later, in the same dedupe slot
    retried = json.loads(reader_view(service, {"views": views})["body"])
    assert retried == {"accepted": 25 - written, "duplicate": written, "ignored": 0}
    again = json.loads(reader_view(service, {"views": views})["body"])  # and a retry of the retry
    assert again == {"accepted": 0, "duplicate": 25, "ignored": 0}

    assert service.item_count("view#") == 25
    logged = service.deliver()
    assert len(logged) == 25  # one stream record, so one log entry, per view
    service.clock.advance(60)
    service.run_ranking()
    for n in range(25):
        counts = json.loads(service.get(f"/v1/articles/a{n}/views", article_id=f"a{n}")["body"])["views"]
        assert counts == {"1h": 1, "24h": 1, "7d": 1}, n


# --- the routed functions ----------------------------------------------------------------------------

PIN = {"kind": "most_read", "window": "24h", "section": None, "position": 1, "until": "2026-11-28T00:00:00Z"}
ROUTES: dict[str, Callable[[Service], dict[str, Any]]] = {
    "GET /v1/rankings": lambda s: s.get("/v1/rankings", query={"window": "24h"}),
    "GET /v1/articles/{id}/views": lambda s: s.get("/v1/articles/a1/views", article_id="a1"),
    "GET /v1/articles/{id}": lambda s: s.get("/v1/articles/a1", article_id="a1"),
    "PUT /v1/articles/{id}": lambda s: s.put_article("a2", article(title="새 기사")),
    "DELETE /v1/articles/{id}": lambda s: s.delete_article("a3"),
    "GET /v1/editorial": lambda s: s.editorial("GET", "/v1/editorial"),
    "PUT /v1/editorial/exclusions/{id}": lambda s: s.editorial("PUT", "/v1/editorial/exclusions/a1", {}),
    "DELETE /v1/editorial/exclusions/{id}": lambda s: s.editorial("DELETE", "/v1/editorial/exclusions/a4"),
    "PUT /v1/editorial/pins/{id}": lambda s: s.editorial("PUT", "/v1/editorial/pins/a1", PIN),
    "DELETE /v1/editorial/pins/{id}": lambda s: s.editorial("DELETE", "/v1/editorial/pins/a4"),
}


def prepare(service: Service) -> None:
    """What every route needs to reach all its calls: a ranked list with cards, and things to delete."""
    for article_id in ("a1", "a3", "a4"):
        assert service.put_article(article_id, article())["statusCode"] == 200
    assert service.editorial("PUT", "/v1/editorial/exclusions/a4", {})["statusCode"] == 200
    assert service.editorial("PUT", "/v1/editorial/pins/a4", PIN)["statusCode"] == 200
    service.view("a1", event_id="routed-evt-1")
    service.run_ranking()
    clear_mostread_caches()  # a cold container: the read fetches the list's cards too


@pytest.fixture
def prepared(service: Service) -> Service:
    prepare(service)
    return service


def calls_of(service: Service, route: str) -> list[str]:
    with recording() as calls:
        response = ROUTES[route](service)
    assert response["statusCode"] < 300, (route, response)
    return sorted({operation for operation, _ in calls})


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_call_of_every_route_fails_as_503(prepared: Service, reports: Reports, route: str) -> None:
    operations = calls_of(prepared, route)
    assert operations, route
    for operation in operations:
        for failure, error in (("ThrottlingException", THROTTLED), ("EndpointConnectionError", UNREACHABLE)):
            prepare(prepared)  # again: the route may have deleted what it needs, a warm container its cards
            reports.clear()
            with failing(operation, error) as fault:
                response = ROUTES[route](prepared)
            assert fault.failed == 1, (route, operation)
            assert_unavailable(response)
            reports.assert_one_503(failure)


def test_every_kind_of_dependency_failure_is_503(prepared: Service, reports: Reports) -> None:
    for failure, error in sorted(DEPENDENCY_FAILURES.items()):
        reports.clear()
        with failing("GetItem", error):
            response = ROUTES["GET /v1/rankings"](prepared)
        assert_unavailable(response)
        reports.assert_one_503(failure)


@pytest.mark.parametrize(
    ("request_of", "status", "field"),
    [
        (lambda s: s.get("/v1/rankings", query={"window": "2h"}), 400, "window"),
        (lambda s: s.get("/v1/articles/a%20b", article_id="a b"), 400, "article_id"),
        (lambda s: s.put_article("a1", {"title": ""}), 400, "title"),
        (lambda s: s.editorial("PUT", "/v1/editorial/pins/a1", {**PIN, "position": 0}), 400, "position"),
        (lambda s: s.get("/v1/nothing"), 404, None),
    ],
)
def test_routed_client_errors_are_unchanged_while_dynamodb_is_down(
    service: Service, request_of: Callable[[Service], dict[str, Any]], status: int, field: str | None
) -> None:
    with failing("*", THROTTLED):
        response = request_of(service)
    assert response["statusCode"] == status
    assert json.loads(response["body"])["error"]["field"] == field


def test_a_bug_is_not_disguised_as_a_dependency_failure(service: Service) -> None:
    # A ValidationException is our request being wrong: retrying cannot help, and Lambda's error metric must see it.
    with failing("GetItem", lambda: aws_error("ValidationException", 400)), pytest.raises(BotoClientError):
        ROUTES["GET /v1/rankings"](service)
