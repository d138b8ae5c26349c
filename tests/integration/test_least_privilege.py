"""Every DynamoDB call each function makes is allowed by that function's policy in template.yaml, and
nothing more is needed: the policies are checked against the calls, not against a copy of them."""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any

import pytest
from mostread.config import settings
from mostread.dal import salts
from mostread.dal.client import default_db, dynamodb
from mostread_dev.meter import batch_keys, partition_keys
from mostread_dev.template import load_template

from tests.conftest import TEST_TABLE_NAME
from tests.harness import article

Call = tuple[str, str, str | None, list[str]]  # operation, table (logical id), index, partition keys


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        # the policies name tables by logical id (!GetAtt SaltsTable.Arn); the calls name them by table name
        template = load_template()
        self.logical_ids = {name: logical_id for logical_id, name in template.table_names(TEST_TABLE_NAME).items()}

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "RequestItems" in params:
            for table, request in params["RequestItems"].items():
                self.calls.append((model.name, self.logical_ids[table], None, batch_keys(request)))
            return
        table = self.logical_ids[params["TableName"]]
        keys = partition_keys(params, tag_index=False)
        self.calls.append((model.name, table, params.get("IndexName"), keys))


@functools.cache
def _statements(function_id: str) -> list[dict[str, Any]]:
    policies = load_template().functions()[function_id].get("Policies", [])
    return [statement for policy in policies if isinstance(policy, dict) for statement in policy.get("Statement", [])]


def _resource_table(resource: Any) -> str:
    """The logical id of the table a statement's Resource names: !GetAtt T.Arn or !Sub "${T.Arn}/index/..."."""
    if "Fn::GetAtt" in resource:
        return str(resource["Fn::GetAtt"][0])
    return str(resource["Fn::Sub"]).removeprefix("${").split(".", 1)[0]


def _allowed(function_id: str, operation: str, table: str, index: str | None, keys: list[str]) -> bool:
    for statement in _statements(function_id):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if f"dynamodb:{operation}" not in actions or _resource_table(statement["Resource"]) != table:
            continue
        resource = json.dumps(statement["Resource"])
        if (index is not None) == ("/index/" in resource):
            patterns = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
            if index is not None or (patterns and all(any(fnmatch.fnmatchcase(k, p) for p in patterns) for k in keys)):
                return True
    return False


@pytest.fixture
def recorder():
    recording = CallRecorder()
    dynamodb().meta.events.register("before-parameter-build.dynamodb", recording)
    return recording


def run_as(recorder: CallRecorder, function_id: str, action) -> None:
    recorder.calls.clear()
    action()
    assert recorder.calls or function_id == "AssetsFunction"
    denied = [call for call in recorder.calls if not _allowed(function_id, *call)]
    assert not denied, f"{function_id} would be denied {denied}"


def test_every_call_is_within_the_functions_policy(service, recorder):
    run_as(recorder, "CatalogFunction", lambda: service.put_article("a1", article()))
    run_as(recorder, "CatalogFunction", lambda: service.put_article("a2", article(section="sports")))
    run_as(recorder, "TrackFunction", lambda: service.view("a1", visitor=1, event_id="policy-evt-1"))
    # the day's salt is made, the old ones deleted, in the salts table; the view lands in the views table
    assert {(operation, table) for operation, table, *_ in recorder.calls} == {
        ("GetItem", "SaltsTable"),
        ("PutItem", "SaltsTable"),
        ("DeleteItem", "SaltsTable"),
        ("PutItem", "ViewsTable"),
    }
    run_as(recorder, "TrackFunction", lambda: service.view("a2", visitor=2))
    engaged = {"article_id": "a1", "event_id": "policy-evt-1", "engaged": True}
    run_as(recorder, "TrackFunction", lambda: service.post_views(engaged))
    assert ("UpdateItem", "ViewsTable") in {(operation, table) for operation, table, *_ in recorder.calls}
    records = service.stream_records()
    run_as(recorder, "IngestFunction", lambda: service.deliver(records))
    service.clock.advance(2 * 3600)
    run_as(recorder, "RankFunction", service.run_ranking)
    run_as(recorder, "RankFunction", service.run_ranking)
    run_as(recorder, "RankFunction", lambda: salts.forget_old_salts(service.clock(), settings().zone))
    assert {(call[0], call[1]) for call in recorder.calls} == {("DeleteItem", "SaltsTable")}
    run_as(recorder, "ReadFunction", lambda: service.rankings(window="7d"))
    run_as(recorder, "ReadFunction", lambda: service.get("/v1/articles/a1/views", article_id="a1"))
    run_as(recorder, "ReadFunction", lambda: service.get("/v1/articles/a1", article_id="a1"))
    run_as(recorder, "CatalogFunction", lambda: service.delete_article("a2"))


def test_the_read_function_cannot_write_and_the_tracker_cannot_read_the_catalog():
    read_actions = {
        a
        for s in _statements("ReadFunction")
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    # Query: the editors' exclusions, which a calendar period's list applies when it is read
    assert read_actions == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    assert not _allowed("ReadFunction", "Query", "ViewsTable", None, ["arch#day#2026-11-27"])
    assert not _allowed("ReadFunction", "GetItem", "ViewsTable", None, ["arch#state"])
    assert _allowed("ReadFunction", "BatchGetItem", "ViewsTable", None, ["article#a1", "article#a2"])
    assert not _allowed("ReadFunction", "BatchGetItem", "ViewsTable", None, ["article#a1", "view#e:x"])
    assert not _allowed("TrackFunction", "GetItem", "ViewsTable", None, ["article#a1"])
    assert not _allowed("TrackFunction", "PutItem", "ViewsTable", None, ["list#most_read#24h#*"])
    assert not _allowed("TrackFunction", "UpdateItem", "ViewsTable", None, ["slots"])
    assert not _allowed("IngestFunction", "PutItem", "ViewsTable", None, ["view#e:x"])


def test_salts_are_reachable_only_in_their_own_table():
    for operation in ("GetItem", "PutItem", "DeleteItem"):
        assert _allowed("TrackFunction", operation, "SaltsTable", None, ["salt#2026-11-27"])
        # not in the views table, whose backups and stream would keep them
        assert not _allowed("TrackFunction", operation, "ViewsTable", None, ["salt#2026-11-27"])
        assert not _allowed("TrackFunction", operation, "SaltsTable", None, ["view#e:x"])
    assert _allowed("RankFunction", "DeleteItem", "SaltsTable", None, ["salt#2026-11-25"])
    assert not _allowed("RankFunction", "GetItem", "SaltsTable", None, ["salt#2026-11-27"])
    assert not _allowed("RankFunction", "PutItem", "SaltsTable", None, ["salt#2026-11-27"])
    for function_id in ("IngestFunction", "ReadFunction", "CatalogFunction", "EditorialFunction"):
        for operation in ("GetItem", "PutItem", "DeleteItem", "Query"):
            assert not _allowed(function_id, operation, "SaltsTable", None, ["salt#2026-11-27"]), function_id


def test_editorial_calls_are_within_the_policies(service, recorder):
    from mostread.services.editorial import active_controls

    pin = {"kind": "trending", "window": "1h", "section": "sports", "position": 2, "until": "2026-11-28T00:00:00Z"}
    run_as(recorder, "EditorialFunction", lambda: service.editorial("PUT", "/v1/editorial/exclusions/a1", {}))
    run_as(recorder, "EditorialFunction", lambda: service.editorial("PUT", "/v1/editorial/pins/a2", pin))
    run_as(recorder, "EditorialFunction", lambda: service.editorial("PUT", "/v1/editorial/pins/a2", pin))
    run_as(recorder, "EditorialFunction", service.editorial_listing)
    assert [call[0] for call in recorder.calls] == ["Query"]
    run_as(recorder, "RankFunction", lambda: active_controls(default_db(), service.clock()))
    run_as(recorder, "EditorialFunction", lambda: service.editorial("DELETE", "/v1/editorial/exclusions/a1"))
    run_as(recorder, "EditorialFunction", lambda: service.editorial("DELETE", "/v1/editorial/exclusions/a1"))  # 404
    run_as(recorder, "EditorialFunction", lambda: service.editorial("DELETE", "/v1/editorial/pins/a2"))
    # and nothing beyond its partition; nobody else writes it
    assert not _allowed("EditorialFunction", "GetItem", "ViewsTable", None, ["editorial"])
    assert not _allowed("EditorialFunction", "UpdateItem", "ViewsTable", None, ["editorial"])
    assert not _allowed("EditorialFunction", "PutItem", "ViewsTable", None, ["article#a1"])
    assert not _allowed("EditorialFunction", "Query", "ViewsTable", None, ["list#most_read#24h#*"])
    for function_id in ("CatalogFunction", "RankFunction", "ReadFunction", "TrackFunction", "IngestFunction"):
        assert not _allowed(function_id, "PutItem", "ViewsTable", None, ["editorial"]), function_id
        assert not _allowed(function_id, "DeleteItem", "ViewsTable", None, ["editorial"]), function_id


def test_archive_calls_are_within_the_policies(service, recorder):
    """Runs crossing a Seoul midnight add up the day and list it; the reader reads a period's list, exclusions and
    cards, and nothing of the archive's work."""
    run_as(recorder, "CatalogFunction", lambda: service.put_article("a1", article()))
    run_as(recorder, "EditorialFunction", lambda: service.editorial("PUT", "/v1/editorial/exclusions/x", {}))
    service.view("a1", visitor=1)
    service.deliver()
    run_as(recorder, "RankFunction", service.run_ranking)  # 21:00 in Seoul: the archive starts
    service.clock.advance(3 * 3600 + 300)  # past midnight and the last slot's grace
    steps = []
    for _ in range(3):  # the day, then the month that ends with it (2026-11-30 is not it: nothing else)
        recorder.calls.clear()
        report = service.run_ranking()
        steps.append(report["archive"])
        denied = [call for call in recorder.calls if not _allowed("RankFunction", *call)]
        assert not denied, f"RankFunction would be denied {denied}"
    assert steps[0] == "listed 2026-11-27"
    run_as(recorder, "ReadFunction", lambda: service.rankings(period="2026-11-27"))
    assert {call[0] for call in recorder.calls} == {"GetItem", "Query", "BatchGetItem"}
    assert not _allowed("ReadFunction", "PutItem", "ViewsTable", None, ["archlist#2026-11-27#*"])
    assert not _allowed("TrackFunction", "PutItem", "ViewsTable", None, ["arch#state"])
