import re

from hypothesis import given
from hypothesis import strategies as st
from mostread.counting import (
    LoggedView,
    add_slot_in_window,
    article_totals,
    count_slot,
    listed_totals,
    widget_key,
)
from mostread.models import ARTICLE_ID_PATTERN
from mostread.timebuckets import WINDOW_SPECS

SLOT = 1_800_000_000  # a slot start (divisible by 1800)


def view(article="a1", visitor="v1", offset_s=0, key=None):
    return LoggedView(article, visitor, (SLOT + offset_s) * 1000, key or f"e:{article}{visitor}{offset_s}")


def test_one_visitor_counts_once_per_article_and_slot():
    counts = count_slot([view(offset_s=10), view(offset_s=900), view(article="a2")], SLOT, 1800)
    assert counts == {"a1": [1, 0, 0, 0, 0, 0], "a2": [1, 0, 0, 0, 0, 0]}


def test_the_first_view_decides_the_bucket():
    counts = count_slot([view(offset_s=1700), view(offset_s=400)], SLOT, 1800)
    assert counts["a1"] == [0, 1, 0, 0, 0, 0]


def test_distinct_visitors_count_separately():
    counts = count_slot([view(visitor=f"v{n}", offset_s=n) for n in range(7)], SLOT, 1800)
    assert counts == {"a1": [7, 0, 0, 0, 0, 0]}


@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz"), st.integers(0, 1799)), max_size=40),
    st.randoms(),
)
def test_counting_ignores_order_and_repeats(rows, rnd):
    entries = [view(a, v, o) for a, v, o in rows]
    replayed = entries + rnd.sample(entries, k=len(entries) // 2)
    rnd.shuffle(replayed)
    assert count_slot(replayed, SLOT, 1800) == count_slot(entries, SLOT, 1800)


def test_entries_outside_the_slot_are_refused():
    try:
        count_slot([view(offset_s=1800)], SLOT, 1800)
    except ValueError:
        return
    raise AssertionError("an entry of the next slot was accepted")


def test_slot_buckets_are_added_only_inside_the_window():
    counts = {"a1": [1, 2, 3, 4, 5, 6]}
    totals: dict[str, int] = {}
    now = SLOT + 3600 + 60  # 1h window starts at SLOT + 5 min
    add_slot_in_window(totals, counts, SLOT, WINDOW_SPECS["1h"], now)
    assert totals == {"a1": 2 + 3 + 4 + 5 + 6}


def test_weights_are_summed():
    entries = [LoggedView("a1", f"v{n}", SLOT * 1000, f"e{n}", weight=10) for n in range(3)]
    assert count_slot(entries, SLOT, 1800)["a1"][0] == 30


def test_row_round_trip():
    entry = LoggedView("기사-1".encode().hex(), "v", 5, "e:x", "addr", "mostread", 3)
    assert LoggedView.from_row(entry.to_row()) == entry


@given(
    st.lists(st.dictionaries(st.sampled_from("abcdef"), st.integers(1, 9)), min_size=2, max_size=12), st.integers(0, 5)
)
def test_rolling_a_window_forward_equals_summing_it_again(slots, shift):
    from mostread.counting import merge_totals, roll_totals

    shift = min(shift, len(slots) // 2)
    window = len(slots) - shift  # the old window is slots[:window], the new one slots[shift:]
    old = merge_totals(slots[:window])
    rolled = roll_totals(old, slots[:shift], slots[window:])
    assert rolled == merge_totals(slots[shift:])
    assert all(views > 0 for views in rolled.values())


def test_rolling_refuses_a_base_that_disagrees_with_its_slots():
    from mostread.counting import roll_totals

    try:
        roll_totals({"a": 1}, [{"a": 2}], [])
    except ValueError:
        return
    raise AssertionError("a negative total was accepted")


# -- self-feeding protection: clicks on the widget (ref=mostread) -------------------------------------


def clicked(article="a1", visitor="v1", offset_s=0, ref="mostread"):
    return LoggedView(article, visitor, (SLOT + offset_s) * 1000, f"e:{article}{visitor}{offset_s}", ref=ref)


def test_a_widget_click_counts_for_the_article_and_is_marked_as_a_click():
    counts = count_slot([clicked(visitor="v1"), view(visitor="v2")], SLOT, 1800)
    assert counts == {"a1": [2, 0, 0, 0, 0, 0], widget_key("a1"): [1, 0, 0, 0, 0, 0]}
    totals = {key: sum(row) for key, row in counts.items()}
    assert article_totals(totals) == {"a1": 2}
    assert listed_totals(totals, count_widget_clicks=False) == {"a1": 1}
    assert listed_totals(totals, count_widget_clicks=True) == {"a1": 2}


def test_the_counted_view_decides_whether_it_was_a_click():
    # read from the front page first, clicked on the widget later in the slot: one organic view
    organic_first = count_slot([view(offset_s=10), clicked(offset_s=600)], SLOT, 1800)
    assert widget_key("a1") not in organic_first
    clicked_first = count_slot([clicked(offset_s=10), view(offset_s=600)], SLOT, 1800)
    assert listed_totals({k: sum(v) for k, v in clicked_first.items()}, count_widget_clicks=False) == {}


def test_other_referrers_count_in_the_lists():
    counts = count_slot([clicked(ref="newsletter"), clicked(visitor="v2", ref="MostRead")], SLOT, 1800)
    assert listed_totals({k: sum(v) for k, v in counts.items()}, count_widget_clicks=False) == {"a1": 2}


def test_widget_keys_cannot_collide_with_article_ids():
    assert not re.fullmatch(ARTICLE_ID_PATTERN, widget_key("a1"))


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz"), st.booleans(), st.integers(0, 1799))))
def test_lists_never_count_more_than_the_article_counts(rows):
    entries = [clicked(a, v, t, "mostread" if is_click else "") for a, v, is_click, t in rows]
    totals = {key: sum(row) for key, row in count_slot(entries, SLOT, 1800).items()}
    listed = listed_totals(totals, count_widget_clicks=False)
    counted = article_totals(totals)
    assert all(0 < listed[a] <= counted[a] for a in listed)
    assert sum(counted.values()) == len({(a, v) for a, v, _, _ in rows})
