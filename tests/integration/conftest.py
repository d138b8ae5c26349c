"""Fixtures of the integration suite: the deployed functions wired together on moto."""

from __future__ import annotations

import pytest

from tests.harness import Clock, Service


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(ddb_table: str, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Service:
    return Service(ddb_table, clock, monkeypatch)
