"""1. Cold start: import time of each handler in a fresh interpreter, against boto3's own floor."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

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
# Each function's app.py ships as source: Lambda's file system is read-only, so it is compiled on every cold start,
# and its cached bytecode is deleted before each probe. The layer ships its bytecode (shared/Makefile), so the
# layer's modules keep theirs, except in the probes of the layer as SAM's Python builder shipped it, all source.
FUNCTION_SOURCES = ROOT / "functions"
LAYER_REQUIREMENTS = ROOT / "shared" / "requirements.txt"

_SCRIPT = """
import gc, json, sys, time
collecting = [0.0]
def _timed(phase, info, clock=time.perf_counter):
    collecting[0] += clock() if phase == "stop" else -clock()
gc.callbacks.append(_timed)
started = time.perf_counter()
{load}
loaded = time.perf_counter()
{setup}
ready = time.perf_counter()
collected = collecting[0]
{request}
done = time.perf_counter()
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"load": (loaded - started) * 1000, "setup": (ready - loaded) * 1000,
                  "request": (done - ready) * 1000, "modules": len(sys.modules), "peak_kb": hwm,
                  "collecting": collected * 1000}}))
"""
_FLOOR = "import boto3"
_FLOOR_SETUP = 'client = boto3.client("dynamodb")'
# The minimal tracker's one call: a conditional put (answered in-process, see _STUB).
_FLOOR_REQUEST = (
    'client.put_item(TableName="t", Item={"pk": {"S": "view#e:x"}, "sk": {"S": "-"}}, '
    'ConditionExpression="attribute_not_exists(pk)")'
)
_TRACER = "from aws_lambda_powertools import Tracer\nTracer()"
# What the handlers do with their imports (mostread.caches), and the DynamoDB client they build with the collector
# paused, applied to the floor: the floor's own share of what that saves.
_KEPT = "from mostread.caches import cycle_collection_paused, kept_for_the_container"
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
    layer_as_source: bool = False  # the layer without bytecode, as SAM's Python builder shipped it


def _as_source(name: str) -> str:
    return f"{name} handler, layer as source"


FLOOR_FROZEN = "floor, its imports kept from the cycle collector as the handlers' are"


def probes() -> list[Probe]:
    return [
        Probe("floor: import boto3 + boto3.client('dynamodb')", _FLOOR, _FLOOR_SETUP, f"{_STUB}{_FLOOR_REQUEST}"),
        Probe(
            FLOOR_FROZEN,
            f"{_KEPT}\nwith kept_for_the_container():\n    {_FLOOR}",
            f"with cycle_collection_paused():\n    {_FLOOR_SETUP}",
        ),
        *(Probe(f"{name} handler", _load_handler(name), _setup(name), _request(name)) for name in HANDLERS),
        *(
            Probe(_as_source(name), _load_handler(name), _setup(name), layer_as_source=True)
            for name in HANDLERS
            if name != "assets"  # it imports nothing of the layer's packages
        ),
        Probe("Powertools Tracer() alone", _TRACER),
        Probe("track handler + Tracer()", _load_handler("track"), _TRACER),
    ]


def _pycache(layer_as_source: bool = False) -> Path:
    """Where the probes' bytecode is cached: one tree for the layer as built, another for the layer as source (whose
    probes delete the layer's bytecode, which the others must find)."""
    return Path(tempfile.gettempdir()) / ("mostread-bench-pycache" + ("-source" if layer_as_source else ""))


def _environment() -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "MOSTREAD")) and key != "PYTHONDONTWRITEBYTECODE"
    }
    # Bytecode is kept out of the source tree, under _pycache(): the warm-up round writes it.
    environment.update(function_environment("mostread-bench"))
    # As in Lambda: Powertools Tracer enables itself (and patches botocore) only inside a Lambda environment.
    environment.update({"LAMBDA_TASK_ROOT": str(ROOT), "AWS_LAMBDA_FUNCTION_NAME": "bench", "PYTHONPATH": ""})
    return environment


@cache
def layer_modules() -> tuple[Path, ...]:
    """Where the layer's modules are in this environment: mostread, the packages of shared/requirements.txt and
    those they need (a package directory, or a module file); boto3 comes with the runtime, not the layer."""
    wanted = [
        Requirement(line.split("#")[0]).name
        for line in LAYER_REQUIREMENTS.read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    found: dict[str, metadata.Distribution] = {}
    while wanted:
        name = wanted.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        found[key] = distribution = metadata.distribution(name)
        for needed in map(Requirement, distribution.requires or []):
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                wanted.append(needed.name)
    tops = {
        Path(str(distribution.locate_file(file.parts[0])))
        for distribution in found.values()
        for file in distribution.files or []
        if file.suffix == ".py" and file.parts[0] != ".."
    }
    return (ROOT / "shared" / "mostread", *sorted(tops))


def forget_bytecode(layer_as_source: bool) -> None:
    """Delete the cached bytecode of the functions' app.py, and for the layer as source that of its modules."""
    for source in (FUNCTION_SOURCES, *(layer_modules() if layer_as_source else ())):
        # PYTHONPYCACHEPREFIX mirrors each source directory's absolute path under the prefix, without __pycache__
        mirrored = _pycache(layer_as_source) / source.relative_to(source.anchor)
        if source.suffix == ".py":
            for compiled in mirrored.parent.glob(f"{source.stem}.*.pyc"):
                compiled.unlink()
        else:
            shutil.rmtree(mirrored, ignore_errors=True)


@dataclass(frozen=True)
class Sample:
    load: float
    setup: float
    request: float
    modules: int
    peak_kb: int  # VmHWM after the request: the process's high-water mark
    collecting: float  # ms the cycle collector ran during import and first-call setup


def _measure(probe: Probe, environment: dict[str, str], warming: bool) -> Sample:
    script = _SCRIPT.format(load=probe.load, setup=probe.setup, request=probe.request)
    forget_bytecode(probe.layer_as_source)
    environment = {**environment, "PYTHONPYCACHEPREFIX": str(_pycache(probe.layer_as_source))}
    if not warming:  # as on Lambda's read-only file system: what has no bytecode is compiled, and none is written
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
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
        float(result["collecting"]),
    )


def run(quick: bool) -> Section:
    started = time.monotonic()
    runs = 3 if quick else 21
    environment = _environment()
    plan = probes()
    samples: dict[str, list[Sample]] = {probe.label: [] for probe in plan}
    for round_number in range(runs + 1):  # round 0 warms the packages' bytecode caches and is dropped
        for probe in plan:  # interleaved, so drift on a shared machine hits every probe alike
            measured = _measure(probe, environment, warming=not round_number)
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
        "Modules loaded after the first request (sys.modules), how many more than the floor's, the process's peak "
        "RSS (VmHWM) after it, and the time the cycle collector ran during import and setup (medians)",
        ["function", "modules", "beyond the floor", "peak RSS MB", "cycle collection ms"],
    )
    floor_modules = samples[floor_label][0].modules
    floor_peak = statistics.median(sample.peak_kb for sample in samples[floor_label]) / 1024
    modules.add("floor", str(floor_modules), "–", f"{floor_peak:.0f}", f"{median(floor_label, 'collecting'):.0f}")
    for name in HANDLERS:
        label = f"{name} handler"
        count = samples[label][0].modules
        peak = statistics.median(sample.peak_kb for sample in samples[label]) / 1024
        collecting = median(label, "collecting")
        modules.add(name, str(count), f"{count - floor_modules:+d}", f"{peak:.0f}", f"{collecting:.0f}")
    tracer_extra = median(plan[-1].label, "setup")
    tracer_alone = median(plan[-2].label, "load")
    track_total = total("track handler")
    read_total = total("read handler")
    worst = max(HANDLERS, key=lambda name: total(f"{name} handler"))
    worst_request = max(
        HANDLERS,
        key=lambda name: total(f"{name} handler") + median(f"{name} handler", "request"),
    )
    floor_frozen = total(FLOOR_FROZEN)
    saved = {name: total(_as_source(name)) - total(f"{name} handler") for name in ("track", "read", "rank")}
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
        f"The handlers import with the cycle collector paused, then move what they made out of its reach for the "
        f"container's life (`mostread.caches.kept_for_the_container`, `gc.freeze`), and build the DynamoDB client "
        f"with it paused: it ran {median('track handler', 'collecting'):.0f} ms in the tracker's cold start against "
        f"{median(floor_label, 'collecting'):.0f} ms in the floor's. The floor doing the same takes "
        f"{floor_frozen:.0f} ms ({floor_frozen / floor:.2f}×); against that, the tracker is "
        f"{track_total / floor_frozen:.2f}×, the read {read_total / floor_frozen:.2f}×, the slowest "
        f"({worst}) {total(f'{worst} handler') / floor_frozen:.2f}×.",
        "Shipping the layer's bytecode saves every cold start the compiling of its modules: "
        + ", ".join(f"{name} {ms:.0f} ms ({ms / floor:.2f}× the floor)" for name, ms in saved.items())
        + " in this run (the rows *layer as source*).",
        f"Powertools Tracer would add {tracer_extra:.0f} ms to the tracker's cold start "
        f"({tracer_extra / floor:.2f}× the floor, +{tracer_extra / track_total:.0%}): importing the X-Ray SDK and "
        f"patching botocore; alone, with boto3 not yet imported, `Tracer()` costs {tracer_alone:.0f} ms. Logger and "
        "Metrics are inside the handler numbers. Leaving tracing out (template.yaml) saves that on every cold start "
        "of the most frequently called function.",
    ]
    method = f"""
Each probe runs `{os.path.basename(sys.executable)} -c <script>` in a fresh process (Python {sys.version.split()[0]})
with the functions' environment from template.yaml, fake credentials, `AWS_DEFAULT_REGION` and `LAMBDA_TASK_ROOT`
set, and times inside the process. Bytecode is as Lambda finds it: boto3's (the runtime's) and the layer's
(`mostread`, Powertools, pydantic, crawlerdetect and what they need, which shared/Makefile compiles at build time)
are compiled beforehand, by one dropped warm-up round; each function's `app.py` ships as source and has its
bytecode deleted before every probe; no probe writes bytecode (Lambda's file system is read-only). The rows
*layer as source* delete the layer's bytecode too: the layer as SAM's Python builder shipped it until the layer got
its own build, compiled again on every cold start.
*import* is loading `functions/<name>/app.py` (what Lambda's init phase does); *first-call setup* is what the first
invocation adds before any I/O (creating the DynamoDB client, which the service creates lazily, and for the tracker
the crawler-detection regexes); *total* and its ratio are the headline. *first request* then serves the function's
sample event from `events/` with every DynamoDB call answered in the process after botocore has resolved the
endpoint and serialised it (an empty table that accepts every write), so work a handler defers to its first request
is counted too; its ratio is to the floor plus one conditional put made the same way. The floor is
`import boto3; boto3.client("dynamodb")` measured in the same run, so ratios survive a slower or busier machine;
Lambda (arm64, 256 MB) is slower in absolute terms. A second floor does what the handlers do about the cycle
collector (findings). Probes are interleaved round by round and the median of {runs} rounds is reported: on this
machine one process's time for the same code varies by a quarter either way from run to run.
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
