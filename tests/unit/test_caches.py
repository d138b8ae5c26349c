"""Per-container state: one reset for every cache, and cold-start building without the cycle collector."""

from __future__ import annotations

import gc
from functools import lru_cache

import pytest
from mostread import caches


def test_reset_forgets_every_registered_cache() -> None:
    calls: list[int] = []

    @lru_cache(maxsize=1)
    def built() -> int:
        calls.append(1)
        return len(calls)

    caches.remembered(built.cache_clear)
    assert built() == built() == 1
    caches.reset()
    assert built() == 2


def test_cycle_collection_is_paused_while_building_and_restored_after() -> None:
    assert gc.isenabled()
    with caches.cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), caches.cycle_collection_paused():
        raise RuntimeError("a failed build")
    assert gc.isenabled()
    gc.disable()
    try:
        with caches.cycle_collection_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_the_client_and_the_crawler_patterns_are_built_with_collection_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mostread import bots
    from mostread.dal import client

    seen: list[bool] = []
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setattr(client.boto3, "client", lambda *args, **kwargs: seen.append(gc.isenabled()))
    monkeypatch.setattr(bots, "_compiled", lambda: seen.append(gc.isenabled()))
    client.dynamodb.cache_clear()
    bots.crawlers.cache_clear()
    try:
        client.dynamodb()
        bots.crawlers()
    finally:
        client.dynamodb.cache_clear()
        bots.crawlers.cache_clear()
    assert seen == [False, False]
    assert gc.isenabled()


class Made:
    """An object the cycle collector tracks (an instance with a __dict__)."""


def test_what_a_handler_imports_is_kept_out_of_the_collectors_reach_until_a_reset() -> None:
    gc.unfreeze()
    try:
        with caches.kept_for_the_container():
            assert not gc.isenabled()
            made = [Made() for _ in range(1000)]
        assert gc.isenabled()
        # everything alive then, the objects made inside included, is left out of every later collection
        assert gc.get_freeze_count() >= len(made)
        caches.reset()  # a fresh container: the collector gets them back
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_a_failed_import_freezes_nothing() -> None:
    gc.unfreeze()
    with pytest.raises(ImportError), caches.kept_for_the_container():
        raise ImportError("a handler whose import failed")
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
