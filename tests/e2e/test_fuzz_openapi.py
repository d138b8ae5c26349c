"""Schemathesis against the OpenAPI document `mostread dev` serves (GET /v1/openapi.json), over real HTTP.

Every operation, with every check Schemathesis has (``--checks all``): no 5xx for anything; every response one the
document declares, with its content type, headers and schema; schema-valid requests accepted (so the document states
every pattern, length, format and enum the server enforces); schema-violating ones refused with a 4xx; methods the
document does not list answered 405 with Allow. Phases: the coverage phase (boundary values, each constraint
violated in turn, undeclared methods, missing parameters), fuzzing, and stateful sequences along the links it infers
(PUT an article, then GET and DELETE it).

Bounded: a fixed number of examples per operation for fuzzing, deterministic generation (the same requests every run:
no seed, no example database), one worker, and a hard time limit. About 850 requests in 55-65 s here, most of it the
coverage phase, whose size the document decides. tests/e2e/schemathesis_hooks.py holds the only adjustments to the
served document, each explained there (SigV4 is not checked locally; OpenAPI cannot relate two query parameters;
JSON Schema cannot tell 10.0 from 10; the counts of an article outlive its catalog entry).

The run has its own `mostread dev`: it stores hundreds of random articles, pins and exclusions, which must not reach
the lists the other e2e tests read, and their data must not steer it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import ROOT, Api, DevServer, running_dev_server

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 15
WORKERS = 1  # not 2: CPython 3.11's ast.parse is not thread-safe, and Hypothesis parses lambdas (a SystemError)
TIME_LIMIT_SECONDS = 150  # a hard bound well above the ~60 s it takes, so a busy shared machine is no failure
HOOKS = "tests.e2e.schemathesis_hooks"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    with running_dev_server(tmp_path_factory.mktemp("fuzz"), "mostread dev for Schemathesis") as server:
        yield server


def run_schemathesis(base_url: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base_url}/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--generation-deterministic",
        "--workers",
        str(WORKERS),
        "--request-timeout",
        "10",
        "--max-failures",
        "25",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    try:
        return subprocess.run(
            command, cwd=report_dir, env=env, capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as expired:
        partial = expired.stdout or ""
        output = partial.decode(errors="replace") if isinstance(partial, bytes) else partial
        pytest.fail(f"Schemathesis ran over {TIME_LIMIT_SECONDS} s:\n{output[-20000:]}")


def test_schemathesis_finds_nothing(fuzz_server: DevServer, tmp_path: Path) -> None:
    document = Api(fuzz_server.base_url).request("GET", "/v1/openapi.json").json()
    # Schemathesis leaves out the operation that served it the document (GET /v1/openapi.json);
    # test_openapi_over_http.py covers that one
    operations = sum(len(item) for item in document["paths"].values()) - 1

    result = run_schemathesis(fuzz_server.base_url, tmp_path)

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"Schemathesis found failures (exit {result.returncode}):\n{output[-25000:]}"
    # every operation was reached, none skipped for an error in the document or a hook
    assert re.search(rf"Selected: {operations}/{operations}\b", output), output[-5000:]
    assert re.search(rf"Tested: {operations}\b", output), output[-5000:]
    assert "errored" not in output.lower(), output[-5000:]
    # and the server itself saw no failure: no handler raised, whatever Schemathesis sent
    log = fuzz_server.log()
    assert "Traceback" not in log, log[-5000:]
    assert not re.search(r"^\S+ \S+ \S+ 5\d\d ", log, re.MULTILINE), log[-5000:]


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "PATCH", "PROPFIND", "HEAD"])
def test_a_method_the_document_does_not_list_is_405_with_allow(fuzz_server: DevServer, method: str) -> None:
    """What mostread dev answers for a method its document does not list (the stdlib server answered TRACE and any
    unknown method with a 501 HTML page): 405, the methods the path has, the contract's error body; 404 for a path
    the API does not have. The deployed HTTP API answers 404 {"message": "Not Found"} for both until the template
    gives it a $default route (docs/reliability.md)."""
    api = Api(fuzz_server.base_url)
    response = api.request(method, "/v1/articles/a-1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PUT"
    if method != "HEAD":
        error = response.json()["error"]
        assert (error["code"], error["field"], bool(error["message"])) == ("method_not_allowed", None, True)
    missing = api.request(method, "/v1/nothing-here")
    assert missing.status_code == 404
    if method != "HEAD":
        assert missing.json()["error"]["code"] == "not_found"
