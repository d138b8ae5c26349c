"""The trending score: what the issue asks of it, as properties over many inputs, and the worked examples
from docs/architecture.md."""

from hypothesis import given, settings
from hypothesis import strategies as st
from mostread.catalog_entry import CatalogEntry
from mostread.ranking import top_trending, trending_scores
from mostread.trending import TRENDING_WINDOWS, TrendingParameters, decay, evaluation_time, trending_score

PARAMETERS = TrendingParameters(half_life_hours=12, prior_views=10, min_views=1)
windows = st.sampled_from(list(TRENDING_WINDOWS.values()))
views = st.integers(min_value=0, max_value=1_000_000)
ages = st.floats(min_value=0, max_value=24 * 7, allow_nan=False)
parameters = st.builds(
    TrendingParameters,
    half_life_hours=st.floats(min_value=1, max_value=720),
    prior_views=st.floats(min_value=1, max_value=1000),
)


@settings(max_examples=300, deadline=None)
@given(windows, views, views, views, ages, parameters)
def test_the_score_rises_with_recent_views(window, fewer, more_by, history, age, params):
    more = fewer + more_by
    assert trending_score(fewer, history, age, window, params) <= trending_score(more, history, age, window, params)


@settings(max_examples=300, deadline=None)
@given(windows, views, views, views, ages, parameters)
def test_with_equal_views_in_the_window_less_history_never_scores_lower(window, recent, history, more_by, age, params):
    accelerating = trending_score(recent, history, age, window, params)
    steady = trending_score(recent, history + more_by, age, window, params)
    assert accelerating >= steady


@settings(max_examples=300, deadline=None)
@given(windows, st.integers(min_value=1, max_value=100_000), st.integers(min_value=0, max_value=100), ages)
def test_a_constant_rate_article_never_outranks_an_accelerating_one_of_equal_volume(window, rate, surge, age):
    """Both articles have the same views over their whole history; the accelerating one has more of them recently."""
    span_hours = min(max(age - window.hours, window.hours), window.history_hours) + window.hours
    total = rate * int(span_hours)
    steady_recent = total * window.hours // int(span_hours)
    accelerating_recent = min(total, steady_recent + surge * rate)
    published = 1_000_000.0
    now = published + age * 3600
    catalog = {
        "steady": CatalogEntry("steady", "news", published, "v"),
        "accelerating": CatalogEntry("accelerating", "news", published, "v"),
    }
    recent = {"steady": steady_recent, "accelerating": accelerating_recent}
    baseline = {"steady": total, "accelerating": total}
    scores = trending_scores(recent, baseline, catalog, now, window, PARAMETERS)
    ranked = [item.article_id for item in top_trending(scores, recent, catalog, 10)]
    if "steady" in ranked and "accelerating" in ranked:
        assert ranked.index("accelerating") < ranked.index("steady") or accelerating_recent == steady_recent


@settings(max_examples=300, deadline=None)
@given(ages, ages, st.floats(min_value=1, max_value=720))
def test_decay_falls_with_age(younger, older_by, half_life):
    assert 0 < decay(younger + older_by, half_life) <= decay(younger, half_life) <= 1


@settings(max_examples=300, deadline=None)
@given(windows, views, ages, ages, parameters)
def test_without_history_an_older_article_never_scores_higher(window, recent, age, older_by, params):
    assert trending_score(recent, 0, age + older_by, window, params) <= trending_score(recent, 0, age, window, params)


def test_a_surge_outranks_a_steady_article_with_more_views():
    hour = TRENDING_WINDOWS["1h"]
    steady = trending_score(1000, 23 * 1000, 30, hour, PARAMETERS)  # 1,000 an hour, all day
    surging = trending_score(400, 23 * 50, 30, hour, PARAMETERS)  # 50 an hour, then 400 in the last hour
    assert surging > 2 * steady


def test_a_handful_of_views_on_a_quiet_article_is_not_a_surge():
    hour = TRENDING_WINDOWS["1h"]
    quiet = trending_score(3, 0, 30, hour, PARAMETERS)
    busy = trending_score(200, 23 * 200, 30, hour, PARAMETERS)
    assert quiet < busy / 20


def test_the_half_life_halves_the_score():
    hour = TRENDING_WINDOWS["1h"]
    assert trending_score(100, 0, 12, hour, PARAMETERS) == trending_score(100, 0, 0, hour, PARAMETERS) / 2


def test_a_young_articles_few_minutes_of_history_count_as_one_window():
    hour = TRENDING_WINDOWS["1h"]
    # 70 minutes old: 10 minutes of history holding 100 views are one hour's worth, not 600 an hour
    assert trending_score(500, 100, 70 / 60, hour, PARAMETERS) > 500


def test_scores_are_evaluated_at_the_start_of_the_windows_bucket():
    hour, day = TRENDING_WINDOWS["1h"], TRENDING_WINDOWS["24h"]
    assert evaluation_time(1_795_781_099, hour) == 1_795_780_800
    assert evaluation_time(1_795_784_399, day) == 1_795_780_800


def test_only_catalogued_articles_with_the_minimum_views_are_scored():
    catalog = {"a": CatalogEntry("a", "news", 0, "v"), "b": CatalogEntry("b", "news", 0, "v")}
    strict = TrendingParameters(min_views=3)
    scores = trending_scores({"a": 3, "b": 2, "ghost": 50}, {}, catalog, 3600, TRENDING_WINDOWS["1h"], strict)
    assert set(scores) == {"a"}
