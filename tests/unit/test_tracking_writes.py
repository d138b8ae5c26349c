"""A batch's writes side by side: in order, every one tried, the first failure raised."""

from __future__ import annotations

import threading

import pytest
from mostread.services import tracking


@pytest.mark.parametrize("count", [0, 1, 2, 7, 8, 9, 16, 24, 25])
def test_every_write_runs_once_and_the_results_keep_the_items_order(count: int) -> None:
    written: list[int] = []
    lock = threading.Lock()

    def write(item: int) -> int:
        with lock:
            written.append(item)
        return item * 10

    assert tracking._side_by_side(write, list(range(count))) == [item * 10 for item in range(count)]
    assert sorted(written) == list(range(count))


@pytest.mark.parametrize("failing", [[0], [24], [3, 4], [5, 20], list(range(25))])
def test_every_write_is_tried_and_the_first_failure_in_order_is_raised(failing: list[int]) -> None:
    tried: list[int] = []
    lock = threading.Lock()

    def write(item: int) -> int:
        with lock:
            tried.append(item)
        if item in failing:
            raise RuntimeError(f"write {item}")
        return item

    with pytest.raises(RuntimeError, match=f"^write {failing[0]}$"):
        tracking._side_by_side(write, list(range(25)))
    assert sorted(tried) == list(range(25))


def test_a_batch_runs_on_at_most_the_writers_threads() -> None:
    threads: set[int] = set()
    lock = threading.Lock()

    def write(item: int) -> int:
        with lock:
            threads.add(threading.get_ident())
        return item

    tracking._side_by_side(write, list(range(25)))
    assert threading.get_ident() not in threads
    assert 1 <= len(threads) <= tracking.WRITERS
