"""Freshness rotation (``FreshnessTopHours``): the placement function, pure, with hours passing as numbers."""

from hypothesis import given, settings
from hypothesis import strategies as st
from mostread.ranking import FRESH_TOP, Placement, Ranked, place_pins, rotate_fresh

HOUR = 3600.0
HOLD = 6 * HOUR


def ranked(*ids):
    return [Ranked(article_id, 100 - n) for n, article_id in enumerate(ids)]


def story_of(item):
    return f"a:{item.article_id}"


def ids(items):
    return [item.article_id for item in items]


def test_off_changes_nothing_and_keeps_no_clocks():
    listed = ranked("a", "b", "c", "d")
    assert rotate_fresh(listed, story_of, {"a:a": 0.0}, 10 * HOLD, 0) == (listed, {})


def test_clocks_start_for_the_top_three_and_nothing_moves_before_the_hold_has_passed():
    listed = ranked("a", "b", "c", "d", "e")
    placed, clocks = rotate_fresh(listed, story_of, {}, 1000.0, HOLD)
    assert ids(placed) == ["a", "b", "c", "d", "e"]
    assert clocks == {"a:a": 1000.0, "a:b": 1000.0, "a:c": 1000.0}
    # exactly the hold: not yet more than it
    placed, clocks = rotate_fresh(listed, story_of, clocks, 1000.0 + HOLD, HOLD)
    assert ids(placed) == ["a", "b", "c", "d", "e"]


def test_a_story_past_the_hold_moves_to_place_four_keeping_its_views():
    listed = ranked("a", "b", "c", "d", "e")
    since = {"a:a": 0.0, "a:b": 2 * HOUR, "a:c": 2 * HOUR}
    placed, clocks = rotate_fresh(listed, story_of, since, HOLD + 1, HOLD)
    assert ids(placed) == ["b", "c", "d", "a", "e"]
    assert placed[3] == listed[0]  # its own views, nothing rewritten
    # d moved up in a's place but is not timed: a's views, not d's, hold the top three
    assert clocks == since


def test_several_stale_stories_keep_their_order_below_the_top_three():
    listed = ranked("a", "b", "c", "d", "e", "f", "g")
    since = {"a:a": 0.0, "a:b": 0.0, "a:c": 5 * HOUR}
    placed, _ = rotate_fresh(listed, story_of, since, HOLD + 1, HOLD)
    assert ids(placed) == ["c", "d", "e", "a", "b", "f", "g"]
    # all three stale: the next three stand at the top
    placed, _ = rotate_fresh(listed, story_of, {"a:a": 0.0, "a:b": 0.0, "a:c": 0.0}, HOLD + 1, HOLD)
    assert ids(placed) == ["d", "e", "f", "a", "b", "c", "g"]


def test_in_a_short_list_a_stale_story_stands_last():
    placed, _ = rotate_fresh(ranked("a", "b"), story_of, {"a:a": 0.0}, HOLD + 1, HOLD)
    assert ids(placed) == ["b", "a"]


def test_a_story_that_leaves_the_top_three_by_views_loses_its_clock_and_may_come_back():
    since = {"a:a": 0.0, "a:b": 0.0, "a:c": 0.0}
    # a fell to fifth by its views: its clock is dropped
    placed, clocks = rotate_fresh(ranked("b", "c", "d", "e", "a"), story_of, since, HOLD + 1, HOLD)
    assert "a:a" not in clocks and clocks["a:d"] == HOLD + 1
    # back on top an hour later: it stands there again for a whole hold
    later = HOLD + 1 + HOUR
    placed, clocks = rotate_fresh(ranked("a", "d", "b", "c"), story_of, clocks, later, HOLD)
    assert ids(placed)[0] == "a" and clocks["a:a"] == later


def test_a_pin_wins_over_rotation():
    listed = ranked("a", "b", "c", "d")
    # editors pin b at 1 (pins are placed after rotation, on the list without the pinned article)
    organic = [item for item in listed if item.article_id != "b"]
    rotated, _ = rotate_fresh(organic, story_of, {"a:a": 0.0, "a:c": 0.0, "a:d": 0.0}, HOLD + 1, HOLD)
    placed = place_pins(rotated, [(Placement("b", 1), listed[1])], 10)
    assert ids(placed) == ["b", "a", "c", "d"]  # all three rotated: the order is kept, under the pin


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10),
    st.dictionaries(st.sampled_from([f"a:{c}" for c in "abcdefghijxyz"]), st.floats(0, 20 * HOUR), max_size=13),
    st.floats(0, 20 * HOUR),
)
def test_rotation_is_a_permutation_with_bounded_clocks(order, since, now):
    listed = ranked(*order)
    placed, clocks = rotate_fresh(listed, story_of, since, now, HOLD)
    assert sorted(ids(placed)) == sorted(order)  # nothing lost, nothing twice, views unchanged
    assert len(clocks) <= FRESH_TOP
    assert set(clocks) == {story_of(item) for item in listed[:FRESH_TOP]}
    # the top three are never stale unless fewer than three fresh stories exist in the whole list
    fresh = [item for item in listed if now - clocks.get(story_of(item), now) <= HOLD]
    assert ids(placed[: min(FRESH_TOP, len(fresh))]) == ids(fresh[:FRESH_TOP])
