"""Stories: every list shows a story once, as its most-viewed article, with how many of its articles had views.
Pure: ``collapse_stories`` and the list functions built on it, without AWS."""

import time

from hypothesis import given, settings
from hypothesis import strategies as st
from mostread.catalog_entry import CatalogEntry, story_key
from mostread.ranking import (
    Placement,
    Ranked,
    collapse_stories,
    held_story_articles,
    place_pins,
    top_articles,
    top_trending,
)


def entry(article_id, story_id=None, published=0.0, section="news"):
    return CatalogEntry(article_id, section, published, "v1", story_id)


def order(catalog):
    return lambda item: (-item.views, -catalog[item.article_id].published_ts, item.article_id)


# up to 40 articles, each in one of 6 stories or none, with views and publication times that often tie
articles = st.dictionaries(
    st.from_regex(r"[a-z]{1,3}", fullmatch=True),
    st.tuples(st.none() | st.sampled_from("PQRSTU"), st.integers(0, 6), st.integers(0, 3)),
    max_size=40,
)


def catalog_and_totals(drawn):
    catalog = {id_: entry(id_, story, published=float(published)) for id_, (story, _, published) in drawn.items()}
    totals = {id_: views for id_, (_, views, _) in drawn.items()}
    return catalog, totals


@settings(max_examples=400, deadline=None)
@given(articles, st.integers(1, 12))
def test_a_most_read_list_shows_each_story_once_as_its_most_read_article(drawn, depth):
    catalog, totals = catalog_and_totals(drawn)
    listed = top_articles(totals, catalog, depth)
    with_views = [id_ for id_, views in totals.items() if views > 0]
    # the list without stories, in its own order
    plain = sorted((Ranked(id_, totals[id_]) for id_ in with_views), key=order(catalog))
    stories = [catalog[item.article_id].story for item in listed]
    assert len(stories) == len(set(stories))  # at most one item per story
    # the representative is the story's first article in the list's own order (most views, ties as the list)
    first_of = {}
    for item in plain:
        first_of.setdefault(catalog[item.article_id].story, item.article_id)
    assert [item.article_id for item in listed] == [id_ for id_ in first_of.values()][:depth]  # order kept, depth
    for item in listed:
        members = [id_ for id_ in with_views if catalog[id_].story == catalog[item.article_id].story]
        assert item.views == totals[item.article_id] == max(totals[id_] for id_ in members)
        assert item.story_articles == len(members)
        assert item.story_id == catalog[item.article_id].story_id
        if item.story_id is None:
            assert item.story_articles == 1


@settings(max_examples=300, deadline=None)
@given(articles, st.integers(1, 12))
def test_a_trending_story_is_its_most_viewed_article_placed_by_that_articles_own_score(drawn, depth):
    catalog, recent = catalog_and_totals(drawn)
    # scores that disagree with the views, so that choosing and placing differ
    scores = {id_: float((views * 7 + len(id_)) % 5) for id_, views in recent.items()}
    listed = top_trending(scores, recent, catalog, depth)

    def trending_order(id_):
        return (-scores[id_], -recent[id_], -catalog[id_].published_ts, id_)

    best = {}
    for id_ in sorted(scores, key=lambda id_: (-recent[id_], *trending_order(id_))):
        best.setdefault(catalog[id_].story, id_)
    expected = sorted(best.values(), key=trending_order)[:depth]
    assert [item.article_id for item in listed] == expected
    for item in listed:
        assert item.score == scores[item.article_id] and item.views == recent[item.article_id]
        assert item.story_articles == sum(catalog[id_].story == catalog[item.article_id].story for id_ in scores)


def test_articles_without_story_are_stories_of_their_own_even_when_an_id_equals_a_story_id():
    catalog = {
        "lead": entry("lead", "fire"),
        "follow-1": entry("follow-1", "fire"),
        "follow-2": entry("follow-2", "fire"),
        "fire": entry("fire"),  # an article whose id happens to be the story's id is not in the story
        "other": entry("other"),
    }
    totals = {"lead": 9, "follow-1": 12, "follow-2": 0, "fire": 5, "other": 3}
    listed = top_articles(totals, catalog, 10)
    assert [(i.article_id, i.views, i.story_id, i.story_articles) for i in listed] == [
        ("follow-1", 12, "fire", 2),  # follow-2 had no views: not counted
        ("fire", 5, None, 1),
        ("other", 3, None, 1),
    ]
    assert story_key("x", None) != story_key("y", "x")


def test_a_pinned_article_stands_for_its_story():
    catalog = {id_: entry(id_, "fire") for id_ in ("lead", "f1", "f2")} | {"other": entry("other")}
    totals = {"lead": 9, "f1": 12, "f2": 1, "other": 3}
    held = {catalog["f2"].story}
    organic = top_articles(totals, catalog, 10, held)
    assert [item.article_id for item in organic] == ["other"]  # the story's other articles leave the list
    counts = held_story_articles((id_ for id_, views in totals.items() if views), catalog, ["f2"])
    assert counts == {"f2": 3}
    placed = place_pins(organic, [(Placement("f2", 1), Ranked("f2", 1, None, "fire", counts["f2"]))], 10)
    assert [(i.article_id, i.story_articles) for i in placed] == [("f2", 3), ("other", 1)]
    # a pinned article without views still stands for its story and counts itself
    assert held_story_articles([], catalog, ["lead"]) == {"lead": 1}


def test_collapse_counts_held_stories_and_takes_any_candidate_type():
    candidates = [("a", "s1", 5), ("b", "s1", 7), ("c", "s2", 1), ("d", "s3", 2)]
    collapsed = collapse_stories(candidates, lambda c: c[1], lambda c: -c[2], 2, held={"s3", "s9"})
    assert [(s.representative[0], s.articles) for s in collapsed.stories] == [("b", 2), ("c", 1)]
    assert collapsed.held_articles == {"s3": 1, "s9": 0}


def test_collapse_is_linear_at_scale_one_story_of_100k_and_100k_stories():
    """The bound: one pass plus a heap of ``depth``. Quadratic grouping would take minutes here."""
    n = 100_000
    one_story = [(f"a{i}", "big", (i * 7919) % n) for i in range(n)]
    separate = [(f"b{i}", f"s{i}", (i * 7919) % n) for i in range(n)]
    started = time.perf_counter()
    big = collapse_stories(one_story, lambda c: c[1], lambda c: (-c[2], c[0]), 50)
    many = collapse_stories(separate, lambda c: c[1], lambda c: (-c[2], c[0]), 50)
    elapsed = time.perf_counter() - started
    assert [(s.representative[2], s.articles) for s in big.stories] == [(n - 1, n)]
    assert [s.representative[2] for s in many.stories] == list(range(n - 1, n - 51, -1))
    assert all(s.articles == 1 for s in many.stories)
    assert elapsed < 5, f"{elapsed:.2f} s for 200k candidates"


def test_top_articles_at_scale_with_stories():
    n = 100_000
    catalog = {f"a{i}": entry(f"a{i}", f"s{i % 1000}" if i % 2 else None, float(i)) for i in range(n)}
    totals = {f"a{i}": 1 + (i * 7919) % 500 for i in range(n)}
    started = time.perf_counter()
    listed = top_articles(totals, catalog, 50)
    elapsed = time.perf_counter() - started
    stories = [catalog[item.article_id].story for item in listed]
    assert len(listed) == 50 and len(set(stories)) == 50
    # the odd ids form 500 stories of 100 articles each; the even ones stand alone
    assert all(item.story_articles == (100 if item.story_id else 1) for item in listed)
    assert elapsed < 5, f"{elapsed:.2f} s for 100k candidates"
