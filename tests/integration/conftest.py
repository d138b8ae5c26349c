"""Fixtures of the integration suite: the deployed functions wired together on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from mostread.config import settings

from tests.harness import Clock, Service


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(ddb_table: str, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Service:
    return Service(ddb_table, clock, monkeypatch)


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set the functions' environment (template parameters) for one test; settings are read again."""

    def apply(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        settings.cache_clear()

    yield apply
    settings.cache_clear()
