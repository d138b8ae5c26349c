"""The calendar archive over HTTP on DynamoDB Local: `mostread dev --start-at` a minute before the Seoul
midnight that ends Sunday 2028-12-31 (a day, ISO week 2028-W52, a month and a year), views sent before it, then
`?period=` polled (with a deadline) until each list is computed; the 400s; `mostread archive`."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime

import pytest

from tests.e2e.support import ROOT, Api, DevServer, article_body, require_dynamodb_local, start_dev

pytestmark = pytest.mark.e2e

MIDNIGHT = datetime.fromisoformat("2029-01-01T00:00:00+09:00").timestamp()
PERIODS = ("2028-12-31", "2028-W52", "2028-12", "2028")
# the last slot of the day settles 10 s (--ingest-grace) after midnight; runs every 2 s then list one period each
DEADLINE_SECONDS = 120  # the stack starts 60 s before midnight, so that a slow start still sends before it


@pytest.fixture(scope="module")
def new_years_eve(tmp_path_factory: pytest.TempPathFactory):
    require_dynamodb_local()
    server = start_dev(
        "--no-demo",
        "--port",
        "0",
        "--rank-every",
        "2",
        "--ingest-grace",
        "10",
        "--start-at",
        "2028-12-31T23:59:00+09:00",
        env={"MOSTREAD_DYNAMODB": "dynamodb-local"},
        tmp_dir=tmp_path_factory.mktemp("archive"),
    )
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def server_now(api: Api) -> float:
    """The stack's clock as of its latest ranking run (every 2 s)."""
    deadline = time.monotonic() + 10
    # a list's generated_at stays while the list is unchanged; the latest run's time is in every article's counts
    while (generated_at := _latest_run(api)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert generated_at is not None, "no ranking run"
    return datetime.fromisoformat(generated_at.replace("Z", "+00:00")).timestamp()


def _latest_run(api: Api) -> str | None:
    response = api.request("GET", "/v1/articles/eve-1/views")
    assert response.status_code == 200, response.text
    return response.json()["generated_at"]


def poll(api: Api, period: str, deadline: float) -> dict:
    """The period's page once computed (400 "not ended" until the stack's clock passes midnight), or the last
    answer at the deadline."""
    while True:
        response = api.request("GET", "/v1/rankings", params={"period": period})
        page = response.json()
        if (response.status_code == 200 and page["generated_at"] is not None) or time.monotonic() > deadline:
            return page
        time.sleep(0.5)


def test_the_year_end_lists_are_served_once_computed(new_years_eve: DevServer) -> None:
    api = Api(new_years_eve.base_url)
    deadline = time.monotonic() + DEADLINE_SECONDS
    published = "2028-12-31T10:00:00+09:00"
    for article_id, title in (("eve-1", "제야의 종 타종 행사"), ("eve-2", "새해 첫 해돋이 명소")):
        assert api.put_article(article_id, article_body(title, "society", published)).status_code == 200
    if server_now(api) > MIDNIGHT - 8:
        pytest.skip("mostread dev took too long to start: its clock is already past midnight")
    for visitor in range(3):
        assert api.view({"article_id": "eve-1"}, visitor=f"198.51.100.{visitor}").status_code == 202
    assert api.view({"article_id": "eve-2"}, visitor="198.51.100.9").status_code == 202
    assert api.view({"article_id": "not-catalogued"}, visitor="198.51.100.9").status_code == 202

    pages = {period: poll(api, period, deadline) for period in PERIODS}
    for period, page in pages.items():
        assert page.get("generated_at") is not None, f"{period} not computed within {DEADLINE_SECONDS} s: {page}"
        assert page["period"] == period and "window" not in page
        assert [(item["article_id"], item["views"]) for item in page["items"]] == [("eve-1", 3), ("eve-2", 1)]
        assert page["items"][0]["title"] == "제야의 종 타종 행사"

    listed = subprocess.run(
        [sys.executable, "-m", "mostread_dev", "archive", "--period", "2028-W52", "--url", new_years_eve.base_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "2028-W52" in listed.stdout and "제야의 종 타종 행사" in listed.stdout

    exported = subprocess.run(
        [sys.executable, "-m", "mostread_dev", "export", "--period", "2028", "--url", new_years_eve.base_url],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    answered = api.request("GET", "/v1/rankings", params={"period": "2028", "limit": "50", "format": "csv"})
    assert answered.headers["content-type"].lower() == "text/csv; charset=utf-8"
    assert exported.stdout == answered.content  # mostread export writes what the API answers, byte for byte
    assert exported.stdout.decode("utf-8").splitlines()[1].startswith("1,eve-1,제야의 종 타종 행사,")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "2029-01-01"}, "period"),  # the stack's clock is on New Year's Day: not ended
        ({"period": "2029-W01"}, "period"),
        ({"period": "2028-12-31", "window": "24h"}, "period"),
        ({"period": "2028-12-31", "kind": "trending"}, "kind"),
        ({"period": "2027-11-01"}, "period"),  # ended more than ArchiveDays (400) ago
        ({"period": "2026-13"}, "period"),
        ({"period": "2026-W54"}, "period"),
        ({"period": "2026-02-30"}, "period"),
    ],
)
def test_the_400s_name_the_parameter(new_years_eve: DevServer, query: dict[str, str], field: str) -> None:
    api = Api(new_years_eve.base_url)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while server_now(api) < MIDNIGHT:  # the stack's clock passes midnight within seconds of its start
        assert time.monotonic() < deadline, "the stack's clock did not pass midnight"
        time.sleep(0.5)
    response = api.request("GET", "/v1/rankings", params=query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
