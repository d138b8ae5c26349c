"""Fixtures shared by every test suite: fake AWS credentials and a moto table built from template.yaml.

Also what running in parallel needs (`make test` runs pytest-xdist workers with ``--dist loadgroup``): the tests
that share a `mostread dev` run in one worker, and the workers' start-up times and skips reach the summary.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# Where a module- or session-scoped fixture starts `mostread dev` (and the browser): tests sharing one go to one
# worker, which starts it once, as a serial run does. Any other test goes to whichever worker is free.
SERVER_SUITES = ("tests/e2e", "tests/browser")
GROUPS_DIRECTORY = "MOSTREAD_TEST_GROUPS"  # where each worker writes the groups it collected, for the controller


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = {}
    for item in items:
        group = server_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            groups[item.nodeid] = group
    directory, worker = os.environ.get(GROUPS_DIRECTORY), os.environ.get("PYTEST_XDIST_WORKER")
    if directory and worker:
        (Path(directory) / f"{worker}.json").write_text(json.dumps(groups))


def server_group(item: pytest.Item) -> str | None:
    """The widest-scoped fixture of an e2e or browser test that is shared beyond the test (session before module),
    by where it is defined: "tests/e2e" for the session's `mostread dev`, the module for a module's own server."""
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    if fixtureinfo is None or not item.nodeid.startswith(SERVER_SUITES):
        return None
    shared = [
        (definition.scope != "session", definition.baseid)
        for name in fixtureinfo.names_closure
        for definition in fixtureinfo.name2fixturedefs.get(name, ())[-1:]
        if definition.scope in ("session", "package", "module") and definition.baseid.startswith(SERVER_SUITES)
    ]
    return min(shared)[1] if shared else None


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("dist", "no") == "loadgroup" and not os.environ.get("PYTEST_XDIST_WORKER"):
        # the controller, before it starts the workers (they inherit the variable)
        os.environ[GROUPS_DIRECTORY] = tempfile.mkdtemp(prefix="mostread-test-groups-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get(GROUPS_DIRECTORY):
        shutil.rmtree(os.environ.pop(GROUPS_DIRECTORY), ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadgroup by the groups the workers collected. xdist passes a test's group to the controller as a suffix
    of its node id, which pytest 9.2 no longer lets a plugin change (pytest-xdist issue 1386): its loadgroup then
    spreads a group over every worker, each starting its own `mostread dev` and browser."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class CollectedGroups(LoadGroupScheduling):
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # read once every worker has collected (the scheduler asks only then)
                self.groups = {}
                for path in Path(os.environ[GROUPS_DIRECTORY]).glob("*.json"):
                    self.groups.update(json.loads(path.read_text()))
            return self.groups.get(nodeid) or super()._split_scope(nodeid)

    return CollectedGroups(config, log)


summaries_from_workers: dict[str, Any] = {"startup_times": {}, "missing_browser": []}


def local_summary() -> dict[str, Any]:
    """What this process's e2e and browser tests left for the terminal summary."""
    e2e, browser = sys.modules.get("tests.e2e.support"), sys.modules.get("tests.browser.support")
    return {
        "startup_times": dict(getattr(e2e, "startup_times", {})),
        "missing_browser": list(getattr(browser, "missing_browser", [])),
    }


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints the summary
        workeroutput["mostread_summary"] = local_summary()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    summary = getattr(node, "workeroutput", {}).get("mostread_summary")
    if summary:
        summaries_from_workers["startup_times"].update(summary["startup_times"])
        summaries_from_workers["missing_browser"].extend(summary["missing_browser"])


def pytest_terminal_summary(terminalreporter: Any) -> None:
    local = local_summary()
    startup_times = {**summaries_from_workers["startup_times"], **local["startup_times"]}
    missing_browser = summaries_from_workers["missing_browser"] + local["missing_browser"]
    for name, seconds in startup_times.items():
        terminalreporter.write_line(f"{name} {seconds:.2f} s")
    if missing_browser:
        terminalreporter.write_sep("!", missing_browser[0], red=True, bold=True)
