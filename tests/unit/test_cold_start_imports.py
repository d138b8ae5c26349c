"""What a cold start loads: each handler imported and its first request's setup done in a fresh interpreter, and
the modules it must not pull in (each costs a measurable share of boto3's import; BENCHMARKS.md, section 1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Never on any request path: validation models for 4xx bodies and the OpenAPI document, Powertools
EVERY_FUNCTION_AVOIDS = {"pydantic", "mostread.schemas", "mostread.openapi", "aws_lambda_powertools"}
AVOIDS = {
    "track": EVERY_FUNCTION_AVOIDS
    | {"mostread.counting", "mostread.article_models", "mostread.services.ranking", "mostread.trending"},
    "read": EVERY_FUNCTION_AVOIDS
    | {"zoneinfo", "mostread.counting", "mostread.services.tracking", "mostread.ranking", "mostread.editorial_models"},
    "catalog": EVERY_FUNCTION_AVOIDS | {"zoneinfo", "mostread.counting", "mostread.ranking"},
    "editorial": EVERY_FUNCTION_AVOIDS | {"zoneinfo", "mostread.counting"},
    "ingest": EVERY_FUNCTION_AVOIDS | {"zoneinfo"},
}

SCRIPT = """
import gc, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
frozen = gc.get_freeze_count()
from mostread.config import settings
settings()
print(json.dumps({{"modules": sorted(sys.modules), "frozen": frozen, "collecting": gc.isenabled()}}))
"""


@pytest.mark.parametrize("function", sorted(AVOIDS))
def test_a_cold_start_loads_only_what_its_requests_need(function: str) -> None:
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "POWERTOOLS_"))},
        "PYTHONPATH": str(ROOT / "shared"),
        "TABLE_NAME": "mostread-test",
        "SALTS_TABLE_NAME": "mostread-test-salts",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    path = ROOT / "functions" / function / "app.py"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(path=str(path))],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    loaded = set(found["modules"])
    assert "boto3" in loaded  # the test sees the handler's imports at all
    assert not AVOIDS[function] & loaded
    # what the imports made (boto3's modules among it) is out of the cycle collector's reach, which is back on
    assert found["frozen"] > 20_000
    assert found["collecting"]
