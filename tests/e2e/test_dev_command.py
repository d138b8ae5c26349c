"""The `mostread` command itself: engines (a shared DynamoDB Local, the moto fallback), shutdown, and the ops
subcommands run as a user runs them."""

from __future__ import annotations

import html
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mostread_dev.dynamodb_server import free_port, local_client, start_dynamodb_local, wait_until_answering
from mostread_dev.stack import TABLE_NAME_PREFIX

from tests.e2e.support import (
    ROOT,
    Api,
    DevServer,
    article_body,
    require_dynamodb_local,
    start_dev,
    startup_times,
    unique,
)

pytestmark = pytest.mark.e2e

TABLE = TABLE_NAME_PREFIX + "ViewsTable"


def mostread(*arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mostread_dev", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )


def one_view_ranked(server: DevServer) -> None:
    """A catalogued article with one view appears in the list after a run: the whole loop works."""
    api = Api(server.base_url)
    article_id = unique("loop")
    section = unique("loop").replace("-", "")
    assert api.put_article(article_id, article_body("엔진 확인", section)).status_code == 200
    assert api.view({"article_id": article_id}).json()["accepted"] == 1
    api.rank()
    assert [item["article_id"] for item in api.rankings(window="1h", section=section)["items"]] == [article_id]


def test_uses_a_running_dynamodb_local_and_creates_the_tables(tmp_path: Path) -> None:
    java, jar = require_dynamodb_local()
    shared = start_dynamodb_local(java, jar)
    try:
        wait_until_answering(shared)
        client = local_client(shared.endpoint)
        assert TABLE not in client.list_tables()["TableNames"]
        server = start_dev(
            "--dynamodb-endpoint", shared.endpoint, "--port", str(free_port()), "--rank-every", "3600", tmp_dir=tmp_path
        )
        startup_times["mostread dev --dynamodb-endpoint: ready line after"] = server.startup_seconds
        assert server.status()["dynamodb"]["engine"] == "external"
        table = client.describe_table(TableName=TABLE)["Table"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["catalog"]
        ttl = client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expires_at"
        one_view_ranked(server)
        assert server.stop(signal.SIGTERM) < 5
        # not ours to stop: the shared server still answers, with the tables left in it
        assert TABLE in client.list_tables()["TableNames"]
    finally:
        shared.stop()


def test_falls_back_to_moto_and_ranks(tmp_path: Path) -> None:
    server = start_dev("--port", str(free_port()), env={"MOSTREAD_DYNAMODB": "moto"}, tmp_dir=tmp_path)
    startup_times["mostread dev (moto): ready line after"] = server.startup_seconds
    try:
        assert server.status()["dynamodb"]["engine"] == "moto"
        one_view_ranked(server)
    finally:
        assert server.stop(signal.SIGINT) < 5


def test_stops_with_an_error_when_its_dynamodb_local_dies(tmp_path: Path) -> None:
    require_dynamodb_local()
    server = start_dev(
        "--no-demo", "--port", str(free_port()), env={"MOSTREAD_DYNAMODB": "dynamodb-local"}, tmp_dir=tmp_path
    )
    try:
        java = server.status()["dynamodb"]["pid"]
        subprocess.run(["kill", "-TERM", str(java)], check=True)  # killed by someone else, e.g. the OOM killer
        assert server.process.wait(timeout=10) == 1
        assert "stopping: DynamoDB Local exited" in server.log()
    finally:
        if server.process.poll() is None:
            server.stop(signal.SIGINT)


def test_demo_has_a_list_within_seconds(tmp_path: Path) -> None:
    require_dynamodb_local()
    server = start_dev("--demo", "--port", str(free_port()), tmp_dir=tmp_path)
    try:
        api = Api(server.base_url)
        deadline = time.monotonic() + 20
        items: list = []
        while not items and time.monotonic() < deadline:
            items = api.rankings(window="1h")["items"]
            time.sleep(0.25)
        ready_after = time.monotonic() - deadline + 20
        startup_times["mostread dev --demo: first non-empty list after"] = server.startup_seconds + ready_after
        assert len(items) >= 5, server.log()[-2000:]
        assert all(item["url"] == f"{server.base_url}/articles/{item['article_id']}" for item in items)
        assert all(any("가" <= char <= "힣" for char in item["title"]) for item in items)  # Korean titles
        assert items[0]["views"] >= items[-1]["views"] > 0
        page = api.request("GET", items[0]["url"].removeprefix(server.base_url))
        assert html.escape(items[0]["title"]) in page.text
    finally:
        assert server.stop(signal.SIGINT) < 5


def test_a_taken_port_is_a_clear_error(dev_server: DevServer) -> None:
    port = dev_server.base_url.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "mostread_dev", "dev", "--port", port],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", [[], ["dev"], ["rank"], ["catalog"], ["catalog", "load"], ["traffic"], ["top"]])
def test_every_subcommand_has_help(command: list[str]) -> None:
    result = mostread(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_dev_help_names_the_contract_options() -> None:
    text = mostread("dev", "--help").stdout
    for option in ("--host", "--port", "--rank-every", "--demo", "--no-demo", "--dynamodb-endpoint"):
        assert option in text


def test_catalog_traffic_rank_and_top(dev_server: DevServer, tmp_path: Path) -> None:
    section = unique("cli").replace("-", "")
    articles = [{"article_id": unique("cli"), **article_body(f"명령줄 기사 {number}", section)} for number in range(3)]
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(articles, ensure_ascii=False), encoding="utf-8")
    url = dev_server.base_url

    loaded = mostread("catalog", "load", str(catalog), "--url", url)
    assert loaded.returncode == 0, loaded.stderr
    assert "3 of 3 articles stored" in loaded.stdout

    sent = mostread(
        "traffic",
        "--rate",
        "30",
        "--duration",
        "1",
        "--seed",
        "7",
        "--articles-from-catalog",
        str(catalog),
        "--url",
        url,
    )
    assert sent.returncode == 0, sent.stderr
    assert "accepted" in sent.stdout
    assert "errors" in sent.stdout

    ranked = mostread("rank", "--url", url)
    assert ranked.returncode == 0, ranked.stderr
    assert "RankFunction" in ranked.stdout

    top = mostread("top", "--window", "1h", "--section", section, "--url", url)
    assert top.returncode == 0, top.stderr
    assert "명령줄 기사" in top.stdout

    refused = mostread("top", "--window", "2h", "--url", url)
    assert refused.returncode == 1
    assert "window" in refused.stderr


def test_catalog_load_fails_on_any_refused_article(dev_server: DevServer, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    good = article_body("좋은 기사", "politics")
    catalog.write_text(json.dumps({unique("ok"): good, unique("bad"): {**good, "url": "not a url"}}), encoding="utf-8")
    result = mostread("catalog", "load", str(catalog), "--url", dev_server.base_url)
    assert result.returncode == 1
    assert "1 of 2 articles stored" in result.stdout
    assert "url" in result.stderr


def test_commands_report_an_unreachable_api(tmp_path: Path) -> None:
    result = mostread("top", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert "refused" in result.stderr.lower()


def test_editorial_exclude_and_pin_through_the_cli(dev_server: DevServer) -> None:
    url = dev_server.base_url
    api = Api(url)
    section = unique("ed").replace("-", "")
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    excluded, pinned, other = (unique(name) for name in ("edx", "edp", "edo"))
    for article_id in (excluded, pinned, other):
        assert api.put_article(article_id, article_body(f"편집 기사 {article_id}", section, now)).status_code == 200
    for visitor, article_id in [("198.51.100.71", excluded), ("198.51.100.72", excluded), ("198.51.100.73", other)]:
        assert api.view({"article_id": article_id}, visitor=visitor).json()["accepted"] == 1
    reason = "[속보] 법원 게재 금지 가처분 「서울」"

    excluding = mostread("editorial", "exclude", excluded, "--for", "2h", "--reason", reason, "--url", url)
    assert excluding.returncode == 0, excluding.stderr
    assert reason in excluding.stdout
    pin = ["--kind", "most_read", "--window", "1h", "--section", section, "--position", "1", "--for", "30m"]
    pinning = mostread("editorial", "pin", pinned, *pin, "--url", url)
    assert pinning.returncode == 0, pinning.stderr

    listing = api.request("GET", "/v1/editorial").json()
    exclusion = next(entry for entry in listing["exclusions"] if entry["article_id"] == excluded)
    assert exclusion["reason"] == reason
    until = datetime.fromisoformat(exclusion["until"]) - datetime.now(UTC)
    assert timedelta(hours=1, minutes=58) < until <= timedelta(hours=2)
    stored_pin = next(entry for entry in listing["pins"] if entry["article_id"] == pinned)
    assert {key: stored_pin[key] for key in ("kind", "window", "section", "position")} == {
        "kind": "most_read",
        "window": "1h",
        "section": section,
        "position": 1,
    }
    listed = mostread("editorial", "list", "--url", url)
    assert listed.returncode == 0, listed.stderr
    assert excluded in listed.stdout and pinned in listed.stdout and reason in listed.stdout

    assert mostread("rank", "--url", url).returncode == 0
    top = mostread("top", "--window", "1h", "--section", section, "--url", url)
    assert top.returncode == 0, top.stderr
    assert [item["article_id"] for item in api.rankings(window="1h", section=section)["items"]] == [pinned, other]
    assert f"편집 기사 {pinned}" in top.stdout and f"편집 기사 {excluded}" not in top.stdout
    trending = mostread("top", "--kind", "trending", "--window", "1h", "--section", section, "--url", url)
    assert trending.returncode == 0, trending.stderr
    assert "score" in trending.stdout

    assert mostread("editorial", "unexclude", excluded, "--url", url).returncode == 0
    assert mostread("editorial", "unpin", pinned, "--url", url).returncode == 0
    listing = api.request("GET", "/v1/editorial").json()
    assert excluded not in {entry["article_id"] for entry in listing["exclusions"]}
    assert pinned not in {entry["article_id"] for entry in listing["pins"]}
    again = mostread("editorial", "unpin", pinned, "--url", url)
    assert again.returncode == 1
    assert "not_found" in again.stderr
