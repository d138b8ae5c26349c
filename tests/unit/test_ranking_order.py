from mostread.ranking import CatalogEntry, top_articles


def entry(article_id, section="news", published=0.0):
    return CatalogEntry(article_id, section, published, "v1")


def test_views_then_newer_then_id():
    catalog = {
        "a": entry("a", published=100),
        "b": entry("b", published=200),
        "c": entry("c", published=200),
        "d": entry("d", published=50),
    }
    totals = {"a": 5, "b": 5, "c": 5, "d": 9}
    assert top_articles(totals, catalog, 10) == [("d", 9), ("b", 5), ("c", 5), ("a", 5)]


def test_only_catalogued_articles_with_views_and_the_section():
    catalog = {"a": entry("a", "sports"), "b": entry("b", "politics")}
    totals = {"a": 3, "b": 4, "ghost": 100, "zero": 0}
    assert top_articles(totals, catalog, 10) == [("b", 4), ("a", 3)]
    assert top_articles(totals, catalog, 10, section="sports") == [("a", 3)]


def test_depth():
    catalog = {f"a{n}": entry(f"a{n}") for n in range(100)}
    totals = {f"a{n}": n + 1 for n in range(100)}
    top = top_articles(totals, catalog, 50)
    assert len(top) == 50
    assert top[0] == ("a99", 100)
    assert top[-1] == ("a50", 51)
