"""1. Cold start: import time of each handler in a fresh interpreter, against boto3's own floor."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import ROOT, function_environment
from benchmarks.report import Section, Table

TITLE = "1. Cold start (import time)"
HANDLERS = ("track", "ingest", "rank", "read", "catalog", "editorial")
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

_SCRIPT = """
import importlib.util, json, sys, time
started = time.perf_counter()
{load}
loaded = time.perf_counter()
{first}
done = time.perf_counter()
print(json.dumps({{"load": (loaded - started) * 1000, "first": (done - loaded) * 1000}}))
"""
_FLOOR = 'import boto3\nboto3.client("dynamodb")'
_TRACER = "from aws_lambda_powertools import Tracer\nTracer()"
_CLIENT = "from mostread.dal.client import dynamodb\ndynamodb()"


def _load_handler(name: str) -> str:
    path = ROOT / "functions" / name / "app.py"
    return (
        f"spec = importlib.util.spec_from_file_location('app', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = module\n"
        "spec.loader.exec_module(module)"
    )


def _first_call(name: str) -> str:
    # What the first invocation adds before any I/O: the DynamoDB client, and for the tracker the crawler list.
    if name == "track":
        return f"{_CLIENT}\nfrom mostread import bots\nbots.is_crawler({UA!r})"
    return _CLIENT


@dataclass(frozen=True)
class Probe:
    label: str
    load: str
    first: str = "pass"


def probes() -> list[Probe]:
    return [
        Probe("floor: import boto3 + boto3.client('dynamodb')", _FLOOR),
        *(Probe(f"{name} handler", _load_handler(name), _first_call(name)) for name in HANDLERS),
        Probe("Powertools Tracer() alone", _TRACER),
        Probe("track handler + Tracer()", _load_handler("track"), _TRACER),
    ]


def _environment() -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "MOSTREAD")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    # Lambda packages come with compiled bytecode (pip compiles on install); keep ours out of the source tree.
    environment["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "mostread-bench-pycache")
    environment.update(function_environment("mostread-bench"))
    # As in Lambda: Powertools Tracer enables itself (and patches botocore) only inside a Lambda environment.
    environment.update({"LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "bench", "PYTHONPATH": ""})
    return environment


def _measure(probe: Probe, environment: dict[str, str]) -> tuple[float, float]:
    script = _SCRIPT.format(load=probe.load, first=probe.first)
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return float(result["load"]), float(result["first"])


def run(quick: bool) -> Section:
    started = time.monotonic()
    runs = 3 if quick else 7
    environment = _environment()
    plan = probes()
    samples: dict[str, list[tuple[float, float]]] = {probe.label: [] for probe in plan}
    for round_number in range(runs + 1):  # round 0 warms the bytecode caches and is dropped
        for probe in plan:  # interleaved, so drift on a shared machine hits every probe alike
            measured = _measure(probe, environment)
            if round_number:
                samples[probe.label].append(measured)

    def median(label: str, part: int) -> float:
        return statistics.median(sample[part] for sample in samples[label])

    floor_label = plan[0].label
    floor = median(floor_label, 0) + median(floor_label, 1)
    table = Table(
        f"Import time in a fresh interpreter, median of {runs} (ms; ratio to the floor of this run)",
        ["module", "import", "first-call setup", "total", "× floor"],
    )
    for probe in plan:
        load, first = median(probe.label, 0), median(probe.label, 1)
        table.add(
            probe.label,
            f"{load:.0f}",
            f"{first:.0f}" if probe.first != "pass" else "–",
            f"{load + first:.0f}",
            f"{(load + first) / floor:.2f}",
        )
    tracer_extra = median(plan[-1].label, 1)
    tracer_alone = median(plan[-2].label, 0)
    track_total = median("track handler", 0) + median("track handler", 1)
    worst = max(HANDLERS, key=lambda name: median(f"{name} handler", 0) + median(f"{name} handler", 1))
    worst_total = median(f"{worst} handler", 0) + median(f"{worst} handler", 1)
    findings = [
        f"The floor (boto3 and a DynamoDB client, which every Python function talking to DynamoDB pays) took "
        f"{floor:.0f} ms in this run; the tracker's cold start is {track_total / floor:.2f}× that "
        f"({track_total:.0f} ms, client and crawler list included), the slowest handler ({worst}) "
        f"{worst_total / floor:.2f}×.",
        f"Powertools Tracer would add {tracer_extra:.0f} ms to the tracker's cold start "
        f"({tracer_extra / floor:.2f}× the floor, +{tracer_extra / track_total:.0%}): importing the X-Ray SDK and "
        f"patching botocore; alone, with boto3 not yet imported, `Tracer()` costs {tracer_alone:.0f} ms. Logger and "
        "Metrics are inside the handler numbers. Leaving tracing out (template.yaml) saves that on every cold start "
        "of the most frequently called function; its comment and FACTS.md quote about 310 ms, measured on a "
        "machine without compiled bytecode.",
    ]
    method = f"""
Each probe runs `{os.path.basename(sys.executable)} -c <script>` in a fresh process (Python {sys.version.split()[0]};
bytecode compiled beforehand by one dropped warm-up round, as pip-installed Lambda packages ship it; caches kept
under the system temp directory) with the functions' environment from template.yaml, fake credentials,
`AWS_DEFAULT_REGION` and `LAMBDA_TASK_ROOT` set, and times inside the process:
*import* is loading `functions/<name>/app.py` (what Lambda's init phase does); *first-call setup* is what the
first invocation adds before any I/O (creating the DynamoDB client, which the service creates lazily, and for
the tracker the crawler-detection regexes). Probes are interleaved round by round and the median of {runs} is
reported. The floor is `import boto3; boto3.client("dynamodb")` measured in the same run, so ratios survive a
slower or busier machine; Lambda (arm64, 256 MB) is slower in absolute terms.
"""
    return Section(
        "cold_start",
        TITLE,
        method,
        "python -m benchmarks.run cold_start",
        [table],
        findings,
        quick,
        time.monotonic() - started,
    )
