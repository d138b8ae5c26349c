import re

from hypothesis import given
from hypothesis import strategies as st
from mostread.counting import (
    SlotCounter,
    add_slot_in_window,
    article_totals,
    capped_key,
    capped_totals,
    count_slot,
    listed_totals,
    reference_counts,
    widget_key,
)
from mostread.logrow import LoggedView
from mostread.models import ARTICLE_ID_PATTERN
from mostread.timebuckets import WINDOW_SPECS, Slot

SLOT = Slot(1_800_000_000, 1800)  # a slot start divisible by 1800
CAP = 20


def view(article="a1", visitor="v1", offset_s=0, key=None, address="", ref="", weight=1):
    event_key = key or f"e:{article}{visitor}{offset_s}"
    return LoggedView(article, visitor, (SLOT.start + offset_s) * 1000, event_key, address, ref, weight).to_row()


def test_one_visitor_counts_once_per_article_and_slot():
    counts = count_slot([view(offset_s=10), view(offset_s=900), view(article="a2")], SLOT, CAP)
    assert counts == {"a1": [1, 0, 0, 0, 0, 0], "a2": [1, 0, 0, 0, 0, 0]}


def test_the_first_view_decides_the_bucket_whatever_the_order_of_arrival():
    counter = SlotCounter(SLOT, CAP)
    counter.add(view(offset_s=1700))
    assert counter.counts()["a1"] == [0, 0, 0, 0, 0, 1]
    counter.add(view(offset_s=400))  # an earlier view of the same visitor, delivered late
    assert counter.counts()["a1"] == [0, 1, 0, 0, 0, 0]


def test_distinct_visitors_count_separately():
    counts = count_slot([view(visitor=f"v{n}", offset_s=n) for n in range(7)], SLOT, CAP)
    assert counts == {"a1": [7, 0, 0, 0, 0, 0]}


def test_rows_outside_the_slot_are_set_aside_not_counted():
    counter = SlotCounter(SLOT, CAP)
    counter.add_rows([view(offset_s=1800), view(offset_s=-1), view(offset_s=0)])
    assert (counter.rows, counter.rows_outside) == (1, 2)
    assert counter.counts() == {"a1": [1, 0, 0, 0, 0, 0]}


def test_slot_buckets_are_added_only_inside_the_window():
    counts = {"a1": [1, 2, 3, 4, 5, 6]}
    totals: dict[str, int] = {}
    now = SLOT.start + 3600 + 60  # 1h window starts at SLOT + 5 min
    add_slot_in_window(totals, counts, SLOT, WINDOW_SPECS["1h"], now)
    assert totals == {"a1": 2 + 3 + 4 + 5 + 6}


def test_weights_are_summed():
    rows = [view(visitor=f"v{n}", weight=10) for n in range(3)]
    assert count_slot(rows, SLOT, CAP)["a1"][0] == 30


def test_row_round_trip():
    entry = LoggedView("기사-1".encode().hex(), "v", 5, "e:x", "addr", "mostread", 3)
    assert LoggedView.from_row(entry.to_row()) == entry


def test_slots_of_any_dedupe_period_are_counted_in_their_own_buckets():
    hour = Slot(1_800_000_000, 3600)
    counts = count_slot([view(offset_s=3500), view(visitor="v2", offset_s=1900)], hour, CAP)
    assert counts["a1"] == [0] * 6 + [1] + [0] * 4 + [1]


# -- the per-address cap -------------------------------------------------------------------------------


def test_one_address_counts_at_most_the_cap_the_earliest_first_views():
    rows = [view(visitor=f"v{n:02d}", offset_s=100 * n, address="00000000000000aa") for n in range(12)]
    counts = count_slot(rows, SLOT, 5)
    # the five earliest visitors count (buckets 0-1), the seven later ones are capped
    assert counts == {"a1": [3, 2, 0, 0, 0, 0], capped_key("a1"): [7, 0, 0, 0, 0, 0]}
    totals = {key: sum(row) for key, row in counts.items()}
    assert article_totals(totals) == {"a1": 5}
    assert capped_totals(totals) == {"a1": 7}


def test_the_cap_is_per_article_and_address():
    rows = [view(article=a, visitor=f"v{n}", address=ad) for a in ("a1", "a2") for ad in ("aa", "bb") for n in range(4)]
    counts = count_slot(rows, SLOT, 3)
    assert counts["a1"][0] == counts["a2"][0] == 6
    assert counts[capped_key("a1")][0] == counts[capped_key("a2")][0] == 2


def test_groups_in_the_compact_arrays_take_more_visitors_and_earlier_views():
    counter = SlotCounter(SLOT, 2, compact_at=1)
    counter.add_rows([view(visitor=f"{n:08x}beef", offset_s=600, address=f"{n:016x}") for n in range(50)])
    assert len(counter._single_groups) > 25 and counter.counts()["a1"] == [0, 0, 50, 0, 0, 0]
    counter.add(view(visitor="00000003beef", offset_s=10, address=f"{3:016x}"))  # an earlier first view
    counter.add(view(visitor="000000ffbeef", offset_s=900, address=f"{4:016x}"))  # a second visitor
    counter.add(view(visitor="000000eebeef", offset_s=900, address=f"{4:016x}"))  # a third: capped
    assert counter.counts() == {"a1": [1, 0, 49, 1, 0, 0], capped_key("a1"): [1, 0, 0, 0, 0, 0]}


def test_a_late_earlier_view_displaces_the_last_counted_one():
    address = "00000000000000cc"
    counter = SlotCounter(SLOT, 2)
    counter.add_rows([view(visitor=f"v{n}", offset_s=600 + n, address=address) for n in range(3)])
    assert counter.counts()["a1"] == [0, 0, 2, 0, 0, 0]
    counter.add(view(visitor="v9", offset_s=10, address=address))  # delivered late, read first
    assert counter.counts() == {"a1": [1, 0, 1, 0, 0, 0], capped_key("a1"): [2, 0, 0, 0, 0, 0]}


rows_strategy = st.lists(
    st.builds(
        lambda a, v, t, e, ad, ref: view(a, f"{v:08x}beef", t, f"e:{e}", f"{ad:016x}", ref),
        st.sampled_from("abc"),
        st.integers(0, 9),
        st.integers(-30, 1830),
        st.integers(0, 5),
        st.integers(0, 2),
        st.sampled_from(["", "mostread", "newsletter"]),
    ),
    max_size=60,
)


@given(rows_strategy, st.integers(1, 4), st.randoms(use_true_random=False), st.sampled_from([1, 2, 5, 100_000]))
def test_counting_is_a_function_of_the_set_of_rows(rows, cap, rnd, compact_at):
    """Any order, any split into calls, any row repeated, single-visitor groups moved to the compact arrays at any
    point: the same counts as the rules written out plainly."""
    expected = reference_counts(rows, SLOT, cap)
    replayed = rows + rnd.sample(rows, k=len(rows) // 2)
    rnd.shuffle(replayed)
    counter = SlotCounter(SLOT, cap, compact_at=compact_at)
    cut = rnd.randint(0, len(replayed))
    counter.add_rows(replayed[:cut])
    counter.add_rows(replayed[cut:])
    assert counter.counts() == expected


# -- self-feeding protection: clicks on the widget (ref=mostread) -------------------------------------


def clicked(article="a1", visitor="v1", offset_s=0, ref="mostread"):
    return view(article, visitor, offset_s, ref=ref)


def test_a_widget_click_counts_for_the_article_and_is_marked_as_a_click():
    counts = count_slot([clicked(visitor="v1"), view(visitor="v2")], SLOT, CAP)
    assert counts == {"a1": [2, 0, 0, 0, 0, 0], widget_key("a1"): [1, 0, 0, 0, 0, 0]}
    totals = {key: sum(row) for key, row in counts.items()}
    assert article_totals(totals) == {"a1": 2}
    assert listed_totals(totals, count_widget_clicks=False) == {"a1": 1}
    assert listed_totals(totals, count_widget_clicks=True) == {"a1": 2}


def test_the_counted_view_decides_whether_it_was_a_click():
    # read from the front page first, clicked on the widget later in the slot: one organic view
    organic_first = count_slot([view(offset_s=10), clicked(offset_s=600)], SLOT, CAP)
    assert widget_key("a1") not in organic_first
    clicked_first = count_slot([clicked(offset_s=10), view(offset_s=600)], SLOT, CAP)
    assert listed_totals({k: sum(v) for k, v in clicked_first.items()}, count_widget_clicks=False) == {}


def test_other_referrers_count_in_the_lists():
    counts = count_slot([clicked(ref="newsletter"), clicked(visitor="v2", ref="MostRead")], SLOT, CAP)
    assert listed_totals({k: sum(v) for k, v in counts.items()}, count_widget_clicks=False) == {"a1": 2}


def test_derived_keys_cannot_collide_with_article_ids():
    assert not re.fullmatch(ARTICLE_ID_PATTERN, widget_key("a1"))
    assert not re.fullmatch(ARTICLE_ID_PATTERN, capped_key("a1"))


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("xyz"), st.booleans(), st.integers(0, 1799))))
def test_lists_never_count_more_than_the_article_counts(rows):
    entries = [clicked(a, v, t, "mostread" if is_click else "") for a, v, is_click, t in rows]
    totals = {key: sum(row) for key, row in count_slot(entries, SLOT, CAP).items()}
    listed = listed_totals(totals, count_widget_clicks=False)
    counted = article_totals(totals)
    assert all(0 < listed[a] <= counted[a] for a in listed)
    assert sum(counted.values()) == len({(a, v) for a, v, _, _ in rows})
