"""1. Cold start: import time of each handler in a fresh interpreter, against boto3's own floor."""

from __future__ import annotations

import json
import os
import shutil
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
HANDLERS = ("track", "ingest", "rank", "read", "catalog", "editorial", "assets")
# The first request each probe makes, from events/ (the samples `sam local invoke -e` uses).
EVENTS = {
    "track": "track.json",
    "ingest": "ingest.json",
    "rank": "rank.json",
    "read": "read-rankings.json",
    "catalog": "catalog-put.json",
    "editorial": "editorial-put-pin.json",
    "assets": "assets.json",
}
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
# The project's own code ships as source (the layer's mostread/ and each function's app.py): Lambda's file system is
# read-only, so it is compiled on every cold start. Its cached bytecode is deleted before each probe.
PROJECT_SOURCES = ("shared", "functions")

_SCRIPT = """
import json, sys, time
started = time.perf_counter()
{load}
loaded = time.perf_counter()
{setup}
ready = time.perf_counter()
{request}
done = time.perf_counter()
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"load": (loaded - started) * 1000, "setup": (ready - loaded) * 1000,
                  "request": (done - ready) * 1000, "modules": len(sys.modules), "peak_kb": hwm}}))
"""
_FLOOR = "import boto3"
_FLOOR_SETUP = 'client = boto3.client("dynamodb")'
# The minimal tracker's one call: a conditional put (answered in-process, see _STUB).
_FLOOR_REQUEST = (
    'client.put_item(TableName="t", Item={"pk": {"S": "view#e:x"}, "sk": {"S": "-"}}, '
    'ConditionExpression="attribute_not_exists(pk)")'
)
_TRACER = "from aws_lambda_powertools import Tracer\nTracer()"
_CLIENT = "from mostread.dal.client import dynamodb\nclient = dynamodb()"
# Every DynamoDB call answered in the process, after botocore has resolved the endpoint and serialised the request
# (what is left out: signing, the network, parsing the answer): an empty table that accepts every write.
_STUB = """
from botocore.awsrequest import AWSResponse
_EMPTY = {"Query": {"Items": [], "Count": 0}, "BatchGetItem": {"Responses": {}, "UnprocessedKeys": {}},
          "BatchWriteItem": {"UnprocessedItems": {}}}
def _answer(model, **_):
    return AWSResponse("https://dynamodb.stub", 200, {}, None), dict(_EMPTY.get(model.name, {}))
client.meta.events.register("before-call.dynamodb", _answer)
"""
_CONTEXT = """
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "bench", 256, "00000000-0000-0000-0000-000000000000"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    def get_remaining_time_in_millis(self):
        return 55_000
"""


def _load_handler(name: str) -> str:
    path = ROOT / "functions" / name / "app.py"
    return (
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['app'] = module\n"
        "spec.loader.exec_module(module)"
    )


def _setup(name: str) -> str:
    """What the first invocation adds before any I/O: the DynamoDB client, and for the tracker the crawler list."""
    if name == "assets":  # touches no table
        return "pass"
    if name == "track":
        return f"{_CLIENT}\nfrom mostread import bots\nbots.is_crawler({UA!r})"
    return _CLIENT


def _request(name: str) -> str:
    """The first request itself, with DynamoDB answered in the process; it must succeed."""
    event = ROOT / "events" / EVENTS[name]
    stub = "" if name == "assets" else _STUB
    return (
        f"{stub}{_CONTEXT}"
        f"answer = module.handler(json.loads(open({str(event)!r}, encoding='utf-8').read()), Context())\n"
        "assert answer.get('statusCode', 200) < 300 and not answer.get('batchItemFailures'), answer"
    )


@dataclass(frozen=True)
class Probe:
    label: str
    load: str
    setup: str = "pass"
    request: str = "pass"


def probes() -> list[Probe]:
    return [
        Probe("floor: import boto3 + boto3.client('dynamodb')", _FLOOR, _FLOOR_SETUP, f"{_STUB}{_FLOOR_REQUEST}"),
        *(Probe(f"{name} handler", _load_handler(name), _setup(name), _request(name)) for name in HANDLERS),
        Probe("Powertools Tracer() alone", _TRACER),
        Probe("track handler + Tracer()", _load_handler("track"), _TRACER),
    ]


def _pycache() -> Path:
    return Path(tempfile.gettempdir()) / "mostread-bench-pycache"


def _environment() -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "MOSTREAD")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    # Installed packages come with compiled bytecode (pip compiles on install); keep ours out of the source tree.
    environment["PYTHONPYCACHEPREFIX"] = str(_pycache())
    environment.update(function_environment("mostread-bench"))
    # As in Lambda: Powertools Tracer enables itself (and patches botocore) only inside a Lambda environment.
    environment.update({"LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "bench", "PYTHONPATH": ""})
    return environment


def forget_project_bytecode() -> None:
    """Delete the cached bytecode of the project's own modules (the packages' stays, as pip leaves it)."""
    for name in PROJECT_SOURCES:
        # PYTHONPYCACHEPREFIX mirrors each source directory's absolute path under the prefix
        shutil.rmtree(_pycache() / (ROOT / name).relative_to(ROOT.anchor), ignore_errors=True)


@dataclass(frozen=True)
class Sample:
    load: float
    setup: float
    request: float
    modules: int
    peak_kb: int  # VmHWM after the request: the process's high-water mark


def _measure(probe: Probe, environment: dict[str, str]) -> Sample:
    script = _SCRIPT.format(load=probe.load, setup=probe.setup, request=probe.request)
    forget_project_bytecode()
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"{probe.label} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Sample(
        float(result["load"]),
        float(result["setup"]),
        float(result["request"]),
        int(result["modules"]),
        int(result["peak_kb"]),
    )


def run(quick: bool) -> Section:
    started = time.monotonic()
    runs = 3 if quick else 11
    environment = _environment()
    plan = probes()
    samples: dict[str, list[Sample]] = {probe.label: [] for probe in plan}
    for round_number in range(runs + 1):  # round 0 warms the packages' bytecode caches and is dropped
        for probe in plan:  # interleaved, so drift on a shared machine hits every probe alike
            measured = _measure(probe, environment)
            if round_number:
                samples[probe.label].append(measured)

    def median(label: str, part: str) -> float:
        return statistics.median(float(getattr(sample, part)) for sample in samples[label])

    def total(label: str) -> float:
        return median(label, "load") + median(label, "setup")

    floor_label = plan[0].label
    floor = total(floor_label)
    floor_request = floor + median(floor_label, "request")
    table = Table(
        f"Cold start in a fresh interpreter, median of {runs} (ms; ratios to the floor of this run)",
        ["module", "import", "first-call setup", "total", "× floor", "first request", "with it", "× floor + put"],
    )
    for probe in plan:
        label = probe.label
        load, setup = median(label, "load"), median(label, "setup")
        request = median(label, "request")
        has_request = probe.request != "pass"
        table.add(
            label,
            f"{load:.0f}",
            f"{setup:.0f}" if probe.setup != "pass" else "–",
            f"{load + setup:.0f}",
            f"{(load + setup) / floor:.2f}",
            f"{request:.0f}" if has_request else "–",
            f"{load + setup + request:.0f}" if has_request else "–",
            f"{(load + setup + request) / floor_request:.2f}" if has_request else "–",
        )
    modules = Table(
        "Modules loaded after the first request (sys.modules), how many more than the floor's, and the process's peak "
        "RSS (VmHWM, median) after it",
        ["function", "modules", "beyond the floor", "peak RSS MB"],
    )
    floor_modules = samples[floor_label][0].modules
    for name in HANDLERS:
        count = samples[f"{name} handler"][0].modules
        peak = statistics.median(sample.peak_kb for sample in samples[f"{name} handler"]) / 1024
        modules.add(name, str(count), f"{count - floor_modules:+d}", f"{peak:.0f}")
    tracer_extra = median(plan[-1].label, "setup")
    tracer_alone = median(plan[-2].label, "load")
    track_total = total("track handler")
    read_total = total("read handler")
    worst = max(HANDLERS, key=lambda name: total(f"{name} handler"))
    worst_request = max(
        HANDLERS,
        key=lambda name: total(f"{name} handler") + median(f"{name} handler", "request"),
    )
    findings = [
        f"The floor (boto3 and a DynamoDB client, which every Python function talking to DynamoDB pays) took "
        f"{floor:.0f} ms in this run; the tracker's cold start is {track_total / floor:.2f}× that "
        f"({track_total:.0f} ms, client and crawler list included), the widget's read {read_total / floor:.2f}×, "
        f"the slowest handler ({worst}) {total(f'{worst} handler') / floor:.2f}×.",
        f"With the first request served (DynamoDB answered in the process), against the floor plus one conditional "
        f"put ({floor_request:.0f} ms): the tracker "
        f"{(track_total + median('track handler', 'request')) / floor_request:.2f}×, the read "
        f"{(read_total + median('read handler', 'request')) / floor_request:.2f}×, the slowest ({worst_request}) "
        f"{(total(f'{worst_request} handler') + median(f'{worst_request} handler', 'request')) / floor_request:.2f}×.",
        f"Powertools Tracer would add {tracer_extra:.0f} ms to the tracker's cold start "
        f"({tracer_extra / floor:.2f}× the floor, +{tracer_extra / track_total:.0%}): importing the X-Ray SDK and "
        f"patching botocore; alone, with boto3 not yet imported, `Tracer()` costs {tracer_alone:.0f} ms. Logger and "
        "Metrics are inside the handler numbers. Leaving tracing out (template.yaml) saves that on every cold start "
        "of the most frequently called function.",
    ]
    method = f"""
Each probe runs `{os.path.basename(sys.executable)} -c <script>` in a fresh process (Python {sys.version.split()[0]})
with the functions' environment from template.yaml, fake credentials, `AWS_DEFAULT_REGION` and `LAMBDA_TASK_ROOT`
set, and times inside the process. Installed packages have their bytecode compiled beforehand (by one dropped
warm-up round, as pip-installed Lambda packages ship it); the project's own modules (`shared/mostread`,
`functions/*/app.py`) have theirs deleted before every probe, since Lambda compiles them on every cold start (they
ship as source on a read-only file system). *import* is loading `functions/<name>/app.py` (what Lambda's init
phase does); *first-call setup* is what the first invocation adds before any I/O (creating the DynamoDB client,
which the service creates lazily, and for the tracker the crawler-detection regexes); *total* and its ratio are
the headline. *first request* then serves the function's sample event from `events/` with every DynamoDB call
answered in the process after botocore has resolved the endpoint and serialised it (an empty table that accepts
every write), so work a handler defers to its first request is counted too; its ratio is to the floor plus one
conditional put made the same way. Probes are interleaved round by round and the median of {runs} is reported.
The floor is `import boto3; boto3.client("dynamodb")` measured in the same run, so ratios survive a slower or
busier machine; Lambda (arm64, 256 MB) is slower in absolute terms.
"""
    return Section(
        "cold_start",
        TITLE,
        method,
        "python -m benchmarks.run cold_start",
        [table, modules],
        findings,
        quick,
        time.monotonic() - started,
    )
