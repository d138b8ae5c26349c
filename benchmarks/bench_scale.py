"""5. The ranking run at scale: ``benchmarks/scale.py`` (its docstring says what it seeds and runs), in a process of
its own, its printed results turned into the section."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from typing import Any

from mostread_dev.template import load_template

from benchmarks import scale
from benchmarks.common import ROOT
from benchmarks.report import Section, Table, console

TITLE = "5. Ranking run at scale"
_RANK = load_template()
TIMEOUT = float(_RANK.function_property("RankFunction", "Timeout"))
MEMORY_MB = int(_RANK.function_property("RankFunction", "MemorySize"))
COLUMNS = (
    ("label", "run"),
    ("wall", "wall s"),
    ("cpu", "process CPU s"),
    ("peak_rss_mb", "peak RSS MB"),
    ("rows_read", "log rows read"),
    ("behind", "log behind"),
    ("articles_with_views", "articles with views (7d)"),
    ("lists_written", "lists written"),
    ("bases", "bases"),
)


def run(quick: bool, _: Any = None) -> list[Section]:
    started = time.monotonic()
    if quick:
        console.print("[dim]scale has one size (benchmarks/scale.py): running it in full[/dim]")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("shared", "devstack", "."))}
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        raise RuntimeError(f"benchmarks/scale.py failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
    lines = child.stdout.strip().splitlines()
    runs = [ast.literal_eval(line) for line in lines if line.startswith("{")]
    seeding = next((line for line in lines if line.startswith("seeded")), "")
    table = Table(
        f"The rank function's runs, one a simulated minute, in one warm process ({scale.ARTICLES:,} articles)",
        [title for _, title in COLUMNS],
    )
    for result in runs:
        table.add(*(_cell(result.get(key, "–")) for key, _ in COLUMNS))
    slowest = max(runs, key=lambda result: result["wall"])
    peak = max(result["peak_rss_mb"] for result in runs)
    findings = [
        f"The slowest run ({slowest['label']}) took {slowest['wall']:.1f} s against the function's {TIMEOUT:.0f} s "
        f"timeout; the process's memory peaked at {peak:,} MB of the function's {MEMORY_MB:,} MB.",
        f"Lambda gives the function's {MEMORY_MB:,} MB {min(MEMORY_MB / 1769, 1):.2f} of a vCPU "
        "(https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html: CPU in proportion to memory, a "
        "full vCPU at 1,769 MB); the runs above had one core of this machine each.",
    ]
    method = (scale.__doc__ or "").strip() + f"\n\nSeeding: {seeding}." if seeding else (scale.__doc__ or "").strip()
    return [
        Section(
            "scale",
            TITLE,
            method,
            "python -m benchmarks.run scale",
            [table],
            findings,
            False,
            time.monotonic() - started,
        )
    ]


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key} {item}" for key, item in value.items()) or "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
