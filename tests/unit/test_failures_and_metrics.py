"""What counts as a dependency failure (a 503), and the tracker's metrics: totals and ignored views by reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mostread import failures
from mostread.models import ViewsAccepted
from mostread.services.tracking import Tracked

from tests.faults import DEPENDENCY_FAILURES, aws_error


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        *[(make, True) for make in DEPENDENCY_FAILURES.values()],
        (lambda: aws_error("SomethingNew", 502), True),  # any 5xx answer
        (lambda: aws_error("ConditionalCheckFailedException", 400), False),  # the expected answer to a repeat
        (lambda: aws_error("ValidationException", 400), False),  # our request is wrong: a bug
        (lambda: aws_error("AccessDeniedException", 400), False),  # a policy is wrong: a bug
        (lambda: aws_error("ResourceNotFoundException", 400), False),
        (lambda: RuntimeError("bug"), False),
        (lambda: KeyError("salt"), False),
    ],
)
def test_what_counts_as_a_dependency_failure(error: Callable[[], Exception], dependency: bool) -> None:
    assert failures.is_dependency_failure(error()) is dependency


def test_the_503_body_is_the_contracts_error_body() -> None:
    assert failures.body() == {"error": {"code": "service_unavailable", "message": failures.MESSAGE, "field": None}}
    assert failures.HEADERS["retry-after"] == str(failures.RETRY_AFTER_SECONDS)
    assert failures.HEADERS["cache-control"] == "no-store"
    assert 1 <= failures.RETRY_AFTER_SECONDS <= 5


@pytest.mark.parametrize(
    ("reason", "metric"),
    [("crawler", "IgnoredCrawler"), ("prefetch", "IgnoredPrefetch"), ("no_user_agent", "IgnoredNoUserAgent")],
)
def test_ignored_views_are_counted_by_reason_and_in_total(reason: str, metric: str) -> None:
    tracked = Tracked(ViewsAccepted(ignored=3), reason)
    assert tracked.metrics() == {"ViewsAccepted": 0, "ViewsDuplicate": 0, "ViewsIgnored": 3, metric: 3}


def test_counted_views_have_no_ignored_reason() -> None:
    tracked = Tracked(ViewsAccepted(accepted=2, duplicate=1))
    assert tracked.metrics() == {"ViewsAccepted": 2, "ViewsDuplicate": 1, "ViewsIgnored": 0}


def test_the_metrics_name_each_count_of_the_answer() -> None:
    answer = ViewsAccepted(accepted=4, duplicate=2, ignored=1)
    assert Tracked(answer).metrics() == {f"Views{name.title()}": value for name, value in answer.model_dump().items()}


def test_the_answer_body_is_the_answers_json_and_forgotten_with_the_container() -> None:
    from mostread import caches, http
    from mostread.services import tracking

    caches.reset()
    for counts in [(1, 0, 0), (0, 1, 0), (0, 0, 25), (12, 13, 0), (1, 0, 0)]:
        answer = ViewsAccepted(accepted=counts[0], duplicate=counts[1], ignored=counts[2])
        assert Tracked(answer).answer_json() == http.dumps(answer.model_dump())
    assert tracking._answer_json.cache_info().currsize == 4
    caches.reset()
    assert tracking._answer_json.cache_info().currsize == 0
