from mostread.ranking import (
    CatalogEntry,
    Placement,
    Ranked,
    eligible_entries,
    list_candidates,
    place_pins,
    top_articles,
    top_trending,
)

DAY = 86400.0


def entry(article_id, section="news", published=0.0):
    return CatalogEntry(article_id, section, published, "v1")


def pairs(ranked):
    return [(item.article_id, item.views) for item in ranked]


def test_views_then_newer_then_id():
    catalog = {
        "a": entry("a", published=100),
        "b": entry("b", published=200),
        "c": entry("c", published=200),
        "d": entry("d", published=50),
    }
    totals = {"a": 5, "b": 5, "c": 5, "d": 9}
    assert pairs(top_articles(totals, catalog, 10)) == [("d", 9), ("b", 5), ("c", 5), ("a", 5)]


def test_only_catalogued_articles_with_views_and_the_section():
    catalog = {"a": entry("a", "sports"), "b": entry("b", "politics")}
    totals = {"a": 3, "b": 4, "ghost": 100, "zero": 0}
    assert pairs(top_articles(totals, catalog, 10)) == [("b", 4), ("a", 3)]
    assert pairs(top_articles(list_candidates(totals, catalog)["sports"], catalog, 10)) == [("a", 3)]


def test_depth():
    catalog = {f"a{n}": entry(f"a{n}") for n in range(100)}
    totals = {f"a{n}": n + 1 for n in range(100)}
    top = top_articles(totals, catalog, 50)
    assert len(top) == 50
    assert pairs(top)[0] == ("a99", 100)
    assert pairs(top)[-1] == ("a50", 51)


def test_excluded_sections_leave_only_the_all_sections_list():
    catalog = {"ad": entry("ad", "ads"), "news": entry("news", "politics"), "notice": entry("notice", "notice")}
    totals = {"ad": 100, "news": 5, "notice": 50}
    lists = list_candidates(totals, catalog, {"ads", "notice"})
    assert lists == {None: {"news": 5}, "ads": {"ad": 100}, "politics": {"news": 5}, "notice": {"notice": 50}}
    assert pairs(top_articles(lists[None], catalog, 10)) == [("news", 5)]


def test_eligibility_drops_excluded_and_too_old_articles():
    now = 100 * DAY
    catalog = {
        "fresh": entry("fresh", published=now - DAY),
        "edge": entry("edge", published=now - 7 * DAY),
        "old": entry("old", published=now - 7 * DAY - 1),
        "retracted": entry("retracted", published=now - 60),
        "scheduled": entry("scheduled", published=now + 3600),
    }
    eligible = eligible_entries(catalog, {"retracted", "not-catalogued"}, now, 7 * DAY)
    assert sorted(eligible) == ["edge", "fresh", "scheduled"]


def test_trending_order_is_score_then_views_then_newer_then_id():
    catalog = {name: entry(name, published=published) for name, published in [("a", 1), ("b", 2), ("c", 2), ("d", 3)]}
    scores = {"a": 5.0, "b": 5.0, "c": 5.0, "d": 9.0}
    recent = {"a": 10, "b": 3, "c": 3, "d": 1}
    ranked = top_trending(scores, recent, catalog, 10)
    assert [(item.article_id, item.score) for item in ranked] == [("d", 9.0), ("a", 5.0), ("b", 5.0), ("c", 5.0)]


def ranked(*ids):
    return [Ranked(article_id, 100 - n) for n, article_id in enumerate(ids)]


def test_a_pin_takes_its_position_and_the_others_move_down():
    placed = place_pins(ranked("a", "b", "c"), [(Placement("z", 2), Ranked("z", 0))], depth=10)
    assert [item.article_id for item in placed] == ["a", "z", "b", "c"]
    assert placed[1].views == 0


def test_a_pin_beyond_the_end_stands_last_and_the_depth_holds():
    assert [i.article_id for i in place_pins(ranked("a"), [(Placement("z", 50), Ranked("z", 1))], 10)] == ["a", "z"]
    assert [i.article_id for i in place_pins([], [(Placement("z", 3), Ranked("z", 0))], 10)] == ["z"]
    full = place_pins(ranked("a", "b", "c"), [(Placement("z", 1), Ranked("z", 0))], depth=3)
    assert [item.article_id for item in full] == ["z", "a", "b"]


def test_a_pinned_article_already_listed_moves_instead_of_appearing_twice():
    placed = place_pins(ranked("a", "b", "c", "d"), [(Placement("d", 1), Ranked("d", 97))], depth=10)
    assert [item.article_id for item in placed] == ["d", "a", "b", "c"]


def test_several_pins_are_placed_in_position_order():
    pins = [
        (Placement("y", 3), Ranked("y", 0)),
        (Placement("x", 1), Ranked("x", 0)),
        (Placement("w", 3), Ranked("w", 0)),
    ]
    placed = place_pins(ranked("a", "b", "c"), pins, depth=10)
    # equal positions go by article id, the later one just below
    assert [item.article_id for item in placed] == ["x", "a", "w", "y", "b", "c"]
