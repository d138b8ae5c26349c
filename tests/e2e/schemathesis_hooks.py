"""Schemathesis hooks for the fuzz run of test_fuzz_openapi.py (loaded by `st run` through SCHEMATHESIS_HOOKS).

Adjustments to the document `mostread dev` serves, each for something the local stack or OpenAPI itself cannot
express, and nothing else:

* No ``security``: the catalog and editorial writes are IAM-authorised (SigV4) in AWS only; `mostread dev` does not
  check signatures (docs/local-stack.md, "What it does not emulate"), so Schemathesis's auth checks would only find
  that out again, while everything behind the authorizer is fuzzed as it is.
* No ``kind=trending&window=7d`` in GET /v1/rankings: two valid values that the server rightly refuses together
  (trending lists have 1h and 24h). OpenAPI 3.1 has no way to relate two query parameters; the description says it,
  and test_openapi_over_http.py checks the 400.
* In GET /v1/rankings, a ``period`` only where it can be answered: alone (no ``window``, kind most_read), a date of
  the calendar, ended and kept by the archive (400 days). Whether a period exists (2026-02-30, week 53), has ended or
  is still kept depends on the calendar and the clock, which no schema keyword states; the description says it, and
  tests/e2e/test_archive_over_http.py checks each 400.
* No pin ``position`` written with a fraction (``10.0``): JSON Schema's ``integer`` admits it, the API refuses it on
  purpose (a strict integer, tests/unit/test_editorial_models.py), and no schema keyword can tell 10.0 from 10; the
  field's description says it.
* No "deleted resource still available" for GET /v1/articles/{id}/views after DELETE /v1/articles/{id}: the paths
  look like a resource and its part, but the counts are not the catalog entry's. Views of any article id are counted
  and served, catalogued or not (zeros for one never viewed), and deleting a catalog entry keeps its counts; GET
  /v1/articles/{id} after the DELETE is still held to its 404.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData, UseAfterFree


@schemathesis.hook
def before_load_schema(context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    raw_schema.pop("security", None)
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)


@schemathesis.hook
def filter_query(context: schemathesis.HookContext, query: dict[str, Any] | None) -> bool:
    if not query or context.operation is None or context.operation.path != "/v1/rankings":
        return True
    if "period" in query:
        return _answerable_period(query)
    return not (query.get("kind") == "trending" and query.get("window") == "7d")


def _answerable_period(query: dict[str, Any]) -> bool:
    import time
    from zoneinfo import ZoneInfo

    from mostread.periods import parse_period

    if "window" in query or query.get("kind", "most_read") != "most_read" or not isinstance(query["period"], str):
        return False
    try:
        period = parse_period(query["period"])
    except ValueError:
        return False
    zone, now = ZoneInfo("Asia/Seoul"), time.time()
    return period.ended_by(now, zone) and not period.expired(now, zone, 400)


@schemathesis.hook
def filter_body(context: schemathesis.HookContext, body: Any) -> bool:
    if context.operation is None or context.operation.path != "/v1/editorial/pins/{article_id}":
        return True
    return not (isinstance(body, dict) and isinstance(body.get("position"), float))


@schemathesis.hook
def filter_failure(
    context: schemathesis.HookContext, failure: Any, case: schemathesis.Case, response: schemathesis.Response
) -> bool:
    counts_outlive_the_entry = case.operation.path == "/v1/articles/{article_id}/views"
    if isinstance(failure, UseAfterFree) and counts_outlive_the_entry:
        return False
    # the coverage phase sends boundary values of the period's pattern (0000) past filter_query
    query = case.query or {}
    rejected_period = case.operation.path == "/v1/rankings" and "period" in query and not _answerable_period(query)
    return not (isinstance(failure, RejectedPositiveData) and rejected_period)
