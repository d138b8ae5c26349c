"""`mostread top --kind` and `mostread editorial …` against a stub HTTP server: the request each command sends
(method, path, body, SigV4 headers), its exit code (0 ok, 1 refused, 2 unreachable or misused) and what it prints."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from mostread_dev import cli
from mostread_dev.dynamodb_server import free_port
from rich.console import Console
from typer.testing import CliRunner

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 27, 8, 0, 0, 123456, tzinfo=KST)
REASON = "[속보] 법원 게재 금지 가처분 — 「서울」 [b]굵게[/b] 🚫"
TITLE = "[단독] 광주 시내버스 노사 막판 교섭…결렬 땐 [/] 첫차부터 파업"
UNTIL = "2026-11-28T06:00:00+09:00"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class StubApi:
    """Answers every request with the reply set for its method and path (default: 404), and records it."""

    url: str
    replies: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def reply(self, method: str, path: str, status: int, document: Any = None) -> None:
        self.replies[(method, path)] = (status, document)

    @property
    def only(self) -> Received:
        assert len(self.received) == 1, self.received
        return self.received[0]


@pytest.fixture
def stub() -> Iterator[StubApi]:
    api = StubApi("")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            api.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
            status, document = api.replies.get(
                (self.command, self.path),
                (404, {"error": {"code": "not_found", "message": "no such route", "field": None}}),
            )
            payload = b"" if document is None else json.dumps(document, ensure_ascii=False).encode()
            self.send_response(status)
            if payload:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_DELETE = _answer

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def wide_consoles_and_a_fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "console", Console(width=200))
    monkeypatch.setattr(cli, "errors", Console(stderr=True, width=200))
    monkeypatch.setattr(cli, "clock", lambda: NOW)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> Credentials:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")
    return Credentials("AKIDEXAMPLE", "secret")


def mostread(*arguments: str) -> Any:
    return CliRunner().invoke(cli.app, list(arguments))


def assert_signed(received: Received, url: str, credentials: Credentials) -> None:
    """The Authorization header is a valid SigV4 signature (execute-api) of exactly this request."""
    authorization = received.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/ap-northeast-2/execute-api/aws4_request" in authorization
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {name: value for name, value in received.headers.items() if name.lower() in signed}
    request = AWSRequest(method=received.method, url=url + received.path, data=received.body, headers=headers)
    request.context["timestamp"] = received.headers["X-Amz-Date"]
    auth = SigV4Auth(credentials, "execute-api", "ap-northeast-2")
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    assert authorization.endswith(f"Signature={expected}")


# --- mostread top --kind ---------------------------------------------------------------------------


def item(rank: int, previous_rank: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "rank": rank,
        "article_id": f"news-{rank}",
        "title": f"기사 {rank}",
        "url": f"https://news.example.kr/{rank}",
        "section": "society",
        "published_at": "2026-11-27T07:00:00+09:00",
        "thumbnail_url": None,
        "summary": None,
        "views": 1000 - rank,
        "previous_rank": previous_rank,
        **extra,
    }


def page(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": kind, "window": "1h", "section": None, "generated_at": "2026-11-26T23:00:00Z", "items": items}


def test_top_shows_the_trending_score_and_each_items_movement(stub: StubApi) -> None:
    items = [
        item(1, 3, score=14.567, title=TITLE),
        item(2, 1, score=12.2),
        item(3, None, score=3.0),
        item(4, 4, score=2.5),
    ]
    stub.reply("GET", "/v1/rankings?kind=trending&window=1h&limit=4", 200, page("trending", items))
    result = mostread("top", "--kind", "trending", "--window", "1h", "--limit", "4", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.only.method == "GET"
    rows = [line for line in result.stdout.splitlines() if "기사" in line or "단독" in line]
    assert [row.split("│")[1:3] for row in rows] == [
        ["    1 ", "   ▲2 "],
        ["    2 ", "   ▼1 "],
        ["    3 ", "  NEW "],
        ["    4 ", "    – "],
    ]
    assert "score" in result.stdout
    assert "14.57" in rows[0] and "12.20" in rows[1]
    assert TITLE in result.stdout  # catalog text is text, not rich markup
    assert "trending · 1h · all sections" in result.stdout


def test_top_defaults_to_the_most_read_list_without_a_score(stub: StubApi) -> None:
    stub.reply("GET", "/v1/rankings?kind=most_read&window=24h&limit=10", 200, page("most_read", [item(1, 1)]))
    result = mostread("top", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert "score" not in result.stdout
    assert "기사 1" in result.stdout and "–" in result.stdout


def test_top_reports_the_refused_parameter(stub: StubApi) -> None:
    refusal = {"error": {"code": "invalid_field", "message": "window: trending lists have 1h, 24h", "field": "window"}}
    stub.reply("GET", "/v1/rankings?kind=trending&window=7d&limit=10", 400, refusal)
    result = mostread("top", "--kind", "trending", "--window", "7d", "--url", stub.url)
    assert result.exit_code == 1
    assert "HTTP 400 invalid_field (window): window: trending lists have 1h, 24h" in result.stderr


# --- mostread editorial ----------------------------------------------------------------------------


LISTING = {
    "exclusions": [
        {"article_id": "news-1", "until": UNTIL, "reason": REASON},
        {"article_id": "news-2", "until": None, "reason": None},
    ],
    "pins": [
        {
            "article_id": "news-3",
            "kind": "trending",
            "window": "1h",
            "section": "sports",
            "position": 2,
            "until": UNTIL,
        },
        {"article_id": "news-4", "kind": "most_read", "window": "24h", "section": None, "position": 1, "until": UNTIL},
    ],
}


def test_list_prints_exclusions_and_pins(stub: StubApi) -> None:
    stub.reply("GET", "/v1/editorial", 200, LISTING)
    result = mostread("editorial", "list", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert (stub.only.method, stub.only.path) == ("GET", "/v1/editorial")
    assert "Authorization" not in stub.only.headers
    out = result.stdout
    assert "exclusions in force" in out and "pins in force" in out
    assert REASON in out  # Korean, emoji and brackets intact
    news_2 = next(line for line in out.splitlines() if "news-2" in line)
    assert "forever" in news_2
    news_3 = next(line for line in out.splitlines() if "news-3" in line)
    assert "trending · 1h · sports" in news_3 and " 2 " in news_3 and UNTIL in news_3
    assert "most_read · 24h · all sections" in next(line for line in out.splitlines() if "news-4" in line)


def test_list_says_none_when_nothing_is_in_force(stub: StubApi) -> None:
    stub.reply("GET", "/v1/editorial", 200, {"exclusions": [], "pins": []})
    result = mostread("editorial", "list", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("none") == 2


def test_exclude_puts_until_and_reason(stub: StubApi) -> None:
    stored = {"article_id": "news-1", "until": UNTIL, "reason": REASON}
    stub.reply("PUT", "/v1/editorial/exclusions/news-1", 200, stored)
    result = mostread("editorial", "exclude", "news-1", "--until", UNTIL, "--reason", REASON, "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.only.method == "PUT"
    assert stub.only.headers["Content-Type"] == "application/json"
    assert stub.only.json() == {"until": UNTIL, "reason": REASON}
    assert REASON.encode() in stub.only.body  # UTF-8 as is, not \\u escapes
    assert f"excluded news-1 from every list until {UNTIL}; reason: {REASON}" in result.stdout


def test_exclude_without_an_end_is_for_good(stub: StubApi) -> None:
    stub.reply("PUT", "/v1/editorial/exclusions/news-1", 200, {"article_id": "news-1", "until": None, "reason": None})
    result = mostread("editorial", "exclude", "news-1", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.only.json() == {"until": None, "reason": None}
    assert "until unexcluded" in result.stdout


def test_exclude_for_a_duration_counts_from_the_clock(stub: StubApi) -> None:
    stub.reply("PUT", "/v1/editorial/exclusions/news-1", 200, {"article_id": "news-1", "until": "x", "reason": None})
    result = mostread("editorial", "exclude", "news-1", "--for", "1h30m", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.only.json()["until"] == "2026-11-27T09:30:00+09:00"


def test_article_ids_are_one_path_segment(stub: StubApi) -> None:
    stub.reply("PUT", "/v1/editorial/exclusions/a%3Ab.c", 200, {"article_id": "a:b.c", "until": None, "reason": None})
    assert mostread("editorial", "exclude", "a:b.c", "--url", stub.url).exit_code == 0
    assert stub.only.path == "/v1/editorial/exclusions/a%3Ab.c"


def test_unexclude_deletes_the_exclusion(stub: StubApi) -> None:
    stub.reply("DELETE", "/v1/editorial/exclusions/news-1", 204)
    result = mostread("editorial", "unexclude", "news-1", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert (stub.only.method, stub.only.path, stub.only.body) == ("DELETE", "/v1/editorial/exclusions/news-1", b"")
    assert "exclusion of news-1 ended" in result.stdout


@pytest.mark.parametrize(("command", "control"), [("unexclude", "exclusion"), ("unpin", "pin")])
def test_removing_what_is_not_there_exits_1(stub: StubApi, command: str, control: str) -> None:
    refusal = {"error": {"code": "not_found", "message": f"article news-9 has no {control}", "field": "article_id"}}
    stub.reply("DELETE", f"/v1/editorial/{control}s/news-9", 404, refusal)
    result = mostread("editorial", command, "news-9", "--url", stub.url)
    assert result.exit_code == 1
    assert (
        f"DELETE /v1/editorial/{control}s/news-9: HTTP 404 not_found (article_id): article news-9 has no {control}"
        in result.stderr
    )
    assert result.stdout == ""


def test_pin_puts_the_list_position_and_end(stub: StubApi) -> None:
    body = {"kind": "trending", "window": "1h", "section": "sports", "position": 3, "until": UNTIL}
    stub.reply("PUT", "/v1/editorial/pins/news-3", 200, {"article_id": "news-3", **body})
    result = mostread(
        "editorial",
        "pin",
        "news-3",
        "--kind",
        "trending",
        "--window",
        "1h",
        "--section",
        "sports",
        "--position",
        "3",
        "--until",
        UNTIL,
        "--url",
        stub.url,
    )
    assert result.exit_code == 0, result.output
    assert stub.only.method == "PUT"
    assert stub.only.json() == body
    assert f"pinned news-3 at position 3 of trending · 1h · sports until {UNTIL}" in result.stdout


def test_pin_for_a_duration_in_the_all_sections_list(stub: StubApi) -> None:
    until = "2026-11-27T08:30:00+09:00"
    body = {"kind": "most_read", "window": "24h", "section": None, "position": 1, "until": until}
    stub.reply("PUT", "/v1/editorial/pins/news-4", 200, {"article_id": "news-4", **body})
    arguments = ["news-4", "--kind", "most_read", "--window", "24h", "--position", "1", "--for", "30m"]
    result = mostread("editorial", "pin", *arguments, "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert stub.only.json() == body
    assert "most_read · 24h · all sections" in result.stdout


def test_a_refused_pin_prints_the_code_field_and_message(stub: StubApi) -> None:
    refusal = {"error": {"code": "invalid_field", "message": "position: must be at most 50", "field": "position"}}
    stub.reply("PUT", "/v1/editorial/pins/news-4", 400, refusal)
    arguments = ["news-4", "--kind", "most_read", "--window", "24h", "--position", "51", "--until", UNTIL]
    result = mostread("editorial", "pin", *arguments, "--url", stub.url)
    assert result.exit_code == 1
    assert stub.only.json()["position"] == 51  # the API is the judge of the values
    assert "HTTP 400 invalid_field (position): position: must be at most 50" in result.stderr


@pytest.mark.parametrize(
    "when",
    [[], ["--until", UNTIL, "--for", "2h"], ["--for", "2x"], ["--for", "0m"]],
    ids=["neither", "both", "not-a-duration", "zero"],
)
def test_a_pin_needs_exactly_one_valid_end(stub: StubApi, when: list[str]) -> None:
    arguments = ["news-4", "--kind", "most_read", "--window", "24h", "--position", "1", *when]
    result = mostread("editorial", "pin", *arguments, "--url", stub.url)
    assert result.exit_code == 2
    assert "--for" in result.stderr
    assert stub.received == []


def test_unpin_deletes_the_pin(stub: StubApi) -> None:
    stub.reply("DELETE", "/v1/editorial/pins/news-3", 204)
    result = mostread("editorial", "unpin", "news-3", "--url", stub.url)
    assert result.exit_code == 0, result.output
    assert (stub.only.method, stub.only.path) == ("DELETE", "/v1/editorial/pins/news-3")
    assert "pin of news-3 removed" in result.stdout


PIN = ["--kind", "most_read", "--window", "24h", "--position", "1", "--for", "2h"]
COMMANDS = {
    "list": (["list"], "GET", "/v1/editorial", 200, LISTING),
    "exclude": (
        ["exclude", "a:1", "--reason", REASON],
        "PUT",
        "/v1/editorial/exclusions/a%3A1",
        200,
        {"article_id": "a:1", "until": None, "reason": REASON},
    ),
    "unexclude": (["unexclude", "a:1"], "DELETE", "/v1/editorial/exclusions/a%3A1", 204, None),
    "pin": (["pin", "a:1", *PIN], "PUT", "/v1/editorial/pins/a%3A1", 200, {"article_id": "a:1", **LISTING["pins"][1]}),
    "unpin": (["unpin", "a:1"], "DELETE", "/v1/editorial/pins/a%3A1", 204, None),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_sigv4_signs_every_editorial_request(stub: StubApi, credentials: Credentials, name: str) -> None:
    arguments, method, path, status, document = COMMANDS[name]
    stub.reply(method, path, status, document)
    result = mostread("editorial", *arguments, "--url", stub.url, "--sigv4")
    assert result.exit_code == 0, result.output
    assert (stub.only.method, stub.only.path) == (method, path)
    assert_signed(stub.only, stub.url, credentials)


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unreachable_api_exits_2(name: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = mostread("editorial", *COMMANDS[name][0], "--url", url)
    assert result.exit_code == 2
    assert url in result.stderr and "refused" in result.stderr.lower()


def test_an_iam_refusal_is_reported(stub: StubApi) -> None:
    stub.reply("GET", "/v1/editorial", 403, {"message": "Forbidden"})
    result = mostread("editorial", "list", "--url", stub.url)
    assert result.exit_code == 1
    assert "GET /v1/editorial: HTTP 403 Forbidden" in result.stderr


def test_a_url_that_is_not_http_is_a_usage_error() -> None:
    result = mostread("editorial", "list", "--url", "file:///etc/passwd")
    assert result.exit_code == 2
    assert "--url" in result.stderr


@pytest.mark.parametrize("command", [[], ["list"], ["exclude"], ["unexclude"], ["pin"], ["unpin"]])
def test_every_editorial_command_has_help(command: list[str]) -> None:
    result = mostread("editorial", *command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("7d", timedelta(days=7)),
        ("90s", timedelta(seconds=90)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_durations(text: str, duration: timedelta) -> None:
    assert cli.parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "2", "h", "2x", "30m2h", "-1h", "0h0m", "1.5h"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        cli.parse_duration(text)
