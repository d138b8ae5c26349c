"""`mostread dev --parameter NAME=VALUE`: a template parameter for the local stack's functions."""

import pytest
import typer
from mostread_dev import cli
from mostread_dev.stack import DevOptions, local_parameter_overrides
from mostread_dev.template import load_template


def test_parameters_of_the_template_are_taken_in_order() -> None:
    given = ["FreshnessTopHours=0.002", "EngagedSeconds=0", "ExcludedSections=ads,notice"]
    assert cli._parameters(given) == (
        ("FreshnessTopHours", "0.002"),
        ("EngagedSeconds", "0"),
        ("ExcludedSections", "ads,notice"),
    )


@pytest.mark.parametrize("text", ["NoSuchParameter=1", "FreshnessTopHours", "=3"])
def test_an_unknown_name_or_a_missing_value_is_refused(text: str) -> None:
    with pytest.raises(typer.BadParameter, match=r"parameter of template\.yaml"):
        cli._parameters([text])


def test_they_reach_the_functions_environment() -> None:
    template = load_template()
    options = DevOptions(parameters=(("FreshnessTopHours", "0.002"),))
    overrides = {**local_parameter_overrides(template, options.rank_every), **dict(options.parameters)}
    tables = {spec.logical_id: spec.logical_id for spec in template.tables()}
    environment = template.function_environment("RankFunction", tables, overrides)
    assert environment["FRESHNESS_TOP_HOURS"] == "0.002"
