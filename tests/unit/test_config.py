import pytest
from mostread.config import ConfigurationError, Settings, settings


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "mostread-test")
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


def test_defaults_of_the_trending_and_editorial_parameters(environment):
    config = settings()
    assert config.max_article_age_days == 7
    assert config.excluded_sections == frozenset()
    assert config.count_widget_clicks_in_lists is False
    assert config.site_time_zone == "Asia/Seoul"
    assert (config.trending_min_views, config.trending_half_life_hours, config.trending_prior_views) == (1, 12, 10)


def test_template_values_are_parsed(environment):
    environment.setenv("EXCLUDED_SECTIONS", " ads, notice ,,")
    environment.setenv("COUNT_WIDGET_CLICKS_IN_LISTS", "true")
    environment.setenv("SITE_TIME_ZONE", "Europe/Berlin")
    config = settings()
    assert config.excluded_sections == {"ads", "notice"}
    assert config.count_widget_clicks_in_lists is True
    assert config.zone.key == "Europe/Berlin"


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SITE_TIME_ZONE", "../etc/passwd"), ("SITE_TIME_ZONE", "Asia/Seoul "), ("TRENDING_MIN_VIEWS", "0")],
)
def test_a_bad_value_names_its_variable(environment, variable, value):
    environment.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=variable):
        settings()


def test_an_unknown_time_zone_is_named_where_it_is_used(environment):
    """Only the functions that use the zone (the tracker, the ranking run) look it up, on their first use."""
    environment.setenv("SITE_TIME_ZONE", "Mars/Olympus")
    config = settings()
    with pytest.raises(ConfigurationError, match="SITE_TIME_ZONE"):
        _ = config.zone


def test_settings_can_be_built_directly():
    assert Settings(table_name="abc", excluded_sections="ads").excluded_sections == {"ads"}
