"""shared/Makefile, the layer's build: run as `sam build` runs it (a copy of shared/, ARTIFACTS_DIR), then checked
like a real build, and the bytecode shown to be what Python runs.

It needs Python 3.12 (the functions' runtime) and the package index, as `make build` does; without Python 3.12 it
is skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infrastructure.build_artefacts import LAYER, ROOT, layer_problems


def python_312() -> str | None:
    """A Python 3.12 interpreter as `make build` finds one: python3.12 on PATH, else pyenv's newest 3.12."""
    candidates = [shutil.which("python3.12")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(path) for path in sorted((pyenv_root / "versions").glob("3.12.*/bin/python3.12"))[::-1]]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    return None


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    python = python_312()
    if python is None:
        pytest.skip("no Python 3.12 (the functions' runtime) to build the layer with")
    work = tmp_path_factory.mktemp("layer")
    source, artefacts = work / "source", work / LAYER
    # sam build's CopySource: the whole of ContentUri, caches included, which the target must leave out
    shutil.copytree(ROOT / "shared", source, ignore=shutil.ignore_patterns(".mypy_cache"))
    built = subprocess.run(
        ["make", "--no-print-directory", "build-SharedLayer", f"ARTIFACTS_DIR={artefacts}", f"PYTHON_LAMBDA={python}"],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return artefacts, python


def test_the_layer_holds_what_runs_in_lambda_each_module_compiled(built_layer: tuple[Path, str]) -> None:
    artefacts, _ = built_layer
    assert layer_problems(artefacts) == []
    site = artefacts / "python"
    for package in ("mostread", "aws_lambda_powertools", "pydantic", "crawlerdetect"):
        assert (site / package / "__pycache__" / "__init__.cpython-312.pyc").is_file(), package
    assert list(site.glob("pydantic_core/_pydantic_core.cpython-312-aarch64-linux-gnu.so"))


def test_python_runs_the_shipped_bytecode_not_the_source(built_layer: tuple[Path, str]) -> None:
    """Unchecked-hash bytecode is used as it is: a source changed after the build does not run, so nothing is
    compiled at import (which a read-only file system would make happen on every cold start)."""
    artefacts, python = built_layer
    site = artefacts / "python"
    changed = site / "mostread" / "keys.py"
    original = changed.read_bytes()
    try:
        changed.write_bytes(original + b"\nraise RuntimeError('compiled from source')\n")
        imported = subprocess.run(
            [python, "-c", "import mostread.keys, sys; print(mostread.keys.__cached__)"],
            env={"PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1", "PATH": os.environ.get("PATH", "")},
            capture_output=True,
            text=True,
        )
    finally:
        changed.write_bytes(original)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert imported.stdout.strip().endswith("keys.cpython-312.pyc")
