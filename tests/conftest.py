"""Fixtures shared by every test suite: fake AWS credentials and a moto table built from template.yaml."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from mostread_dev.template import Template, load_template
from moto import mock_aws

TEST_TABLE_NAME = "mostread-test"
TEST_REGION = "eu-west-1"


def clear_mostread_caches() -> None:
    """Start as a fresh container: forget every per-container cache (settings, client, salts, readers, ...)."""
    from mostread import caches

    caches.reset()


@pytest.fixture(scope="session")
def template() -> Template:
    """template.yaml, parsed once per session."""
    return load_template()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, template: Template) -> Iterator[dict[str, str]]:
    """Fake credentials and the functions' environment (template defaults, TRUSTED_PROXY_HOPS=1)."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_REGION": TEST_REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        **template.function_environment(None, template.table_names(TEST_TABLE_NAME), {"TrustedProxyHops": "1"}),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    clear_mostread_caches()
    yield environment
    clear_mostread_caches()


@pytest.fixture
def ddb_table(aws_env: dict[str, str], template: Template) -> Iterator[str]:
    """Every table of template.yaml in moto (ViewsTable named mostread-test); yields the table name."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=TEST_REGION)
        for spec in template.tables(template.table_names(TEST_TABLE_NAME)):
            client.create_table(**spec.create_kwargs)
            if spec.ttl_attribute:
                client.update_time_to_live(
                    TableName=spec.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
                )
        clear_mostread_caches()
        yield TEST_TABLE_NAME
    clear_mostread_caches()
