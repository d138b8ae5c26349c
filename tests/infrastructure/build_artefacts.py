"""Checks what `sam build` put in .aws-sam/build and reports its sizes: `make build` runs it after the build,
and tests/infrastructure/test_build_artefacts.py runs it on whatever is built.

What runs in Lambda and nothing else:

* a function's directory holds only files of its CodeUri (functions/<name>/), no bytecode caches;
* the layer's python/ holds the installed requirements (each file listed in its distribution's RECORD) and the
  mostread package (code and its static assets, no tests), every module with its bytecode for CPython 3.12,
  checked by hash or not at all (shared/Makefile): Lambda's file system is read-only, so a module without it is
  compiled again on every cold start, and one checked by timestamp may not match its source's time in the zip;
* every compiled extension is aarch64 and, when tagged, for CPython 3.12: the functions run python3.12 on arm64,
  and a wheel for the building machine's platform would fail to import there.

Usage: python tests/infrastructure/build_artefacts.py [BUILD_DIR]   (default .aws-sam/build)
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mostread_dev.template import load_template

ROOT = Path(__file__).resolve().parents[2]
LAYER = "SharedLayer"
PACKAGE = "mostread"
PACKAGE_SUFFIXES = {".py", ".pyi", ".typed", ".js", ".css", ".json"}
NEVER = {"tests", "test", "conftest.py", "mostread_dev", "devstack", "benchmarks", "docs", "events", "widget"}
AARCH64 = 183  # ELF e_machine
RUNTIME_TAG = "cpython-312"
RUNTIME_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"  # importlib.util.MAGIC_NUMBER of CPython 3.12
UNCHECKED_HASH = 1  # the flags word of PEP 552: hash-based (bit 0), not checked against the source (bit 1 clear)


@dataclass(frozen=True)
class Artefact:
    name: str
    files: int
    size: int
    zipped: int


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


def zipped_size(directory: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files_under(directory):
            archive.write(path, path.relative_to(directory).as_posix())
    return len(buffer.getvalue())


def _elf_machine(path: Path) -> int | None:
    with path.open("rb") as stream:
        header = stream.read(20)
    if header[:4] != b"\x7fELF":
        return None
    return int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")


def _extension_problems(relative: str, path: Path) -> Iterable[str]:
    if not path.name.endswith(".so") and ".so." not in path.name:
        return
    machine = _elf_machine(path)
    if machine != AARCH64:
        yield f"{relative}: not an aarch64 library (ELF machine {machine})"
    if ".cpython-" in path.name and RUNTIME_TAG not in path.name:
        yield f"{relative}: built for another Python than 3.12"


def _never(relative: Path) -> str | None:
    for part in relative.parts:
        if part in NEVER or part == "__pycache__" or part.endswith(".pyc"):
            return part
    return None


def function_problems(name: str, built: Path, source: Path) -> list[str]:
    expected = {path.relative_to(source) for path in files_under(source) if "__pycache__" not in path.parts}
    problems = []
    for path in files_under(built):
        relative = path.relative_to(built)
        if relative not in expected:
            problems.append(f"{name}/{relative}: not a file of {source.relative_to(ROOT)}/")
        elif _never(relative):
            problems.append(f"{name}/{relative}: not something that runs in Lambda")
    return problems


def _bytecode_problem(label: str, source: Path) -> str | None:
    """What is wrong with the bytecode of a module of the layer, if anything."""
    compiled = source.parent / "__pycache__" / f"{source.stem}.{RUNTIME_TAG}.pyc"
    if not compiled.is_file():
        return f"{label}: no bytecode for CPython 3.12 (compiled again on every cold start)"
    with compiled.open("rb") as stream:
        header = stream.read(8)
    if header[:4] != RUNTIME_MAGIC:
        return f"{label}: its bytecode is not for CPython 3.12"
    if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
        return f"{label}: its bytecode is checked against the source's time or hash (compile with unchecked-hash)"
    return None


def _bytecode_of(relative: Path) -> Path | None:
    """The module a .pyc in a __pycache__ directory is the bytecode of, or None for any other file."""
    if relative.suffix != ".pyc" or relative.parent.name != "__pycache__":
        return None
    return relative.parent.parent / (relative.name.split(".", 1)[0] + ".py")


def layer_problems(built: Path) -> list[str]:
    site = built / "python"
    if not site.is_dir():
        return [f"{LAYER}: no python/ directory (a Python layer's packages go there)"]
    installed: set[str] = set()
    for record in site.glob("*.dist-info/RECORD"):
        for line in record.read_text(encoding="utf-8").splitlines():
            if line.strip():
                installed.add(line.split(",", 1)[0])
    problems = []
    for path in files_under(built):
        relative = path.relative_to(site) if site in path.parents else None
        label = f"{LAYER}/{path.relative_to(built)}"
        if relative is None:
            problems.append(f"{label}: outside python/")
            continue
        problems.extend(_extension_problems(label, path))
        module = _bytecode_of(relative)
        if module is not None:
            if not (site / module).is_file():
                problems.append(f"{label}: bytecode of no module of the layer")
            continue
        if path.suffix == ".py" and (problem := _bytecode_problem(label, path)):
            problems.append(problem)
        if relative.parts[0] == PACKAGE:
            if _never(relative) or path.suffix not in PACKAGE_SUFFIXES or path.name.startswith("test_"):
                problems.append(f"{label}: not part of the {PACKAGE} package that runs in Lambda")
        elif relative.as_posix() not in installed:
            problems.append(f"{label}: neither an installed requirement nor the {PACKAGE} package")
    if not (site / PACKAGE / "__init__.py").is_file():
        problems.append(f"{LAYER}: the {PACKAGE} package is missing")
    return problems


def check(build: Path) -> tuple[list[Artefact], list[str]]:
    """Every artefact of the build with its sizes, and whatever should not be there."""
    if not (build / "template.yaml").is_file():
        return [], [f"{build}: no built template (run `make build`)"]
    functions = load_template().functions()
    artefacts, problems = [], []
    for directory in sorted(path for path in build.iterdir() if path.is_dir()):
        if directory.name == LAYER:
            problems.extend(layer_problems(directory))
        elif directory.name in functions:
            source = ROOT / str(functions[directory.name]["CodeUri"])
            problems.extend(function_problems(directory.name, directory, source))
        else:
            problems.append(f"{directory.name}: neither a function of template.yaml nor the layer")
        files = files_under(directory)
        artefacts.append(
            Artefact(directory.name, len(files), sum(p.stat().st_size for p in files), zipped_size(directory))
        )
    return artefacts, problems


def report(artefacts: list[Artefact]) -> str:
    lines = [f"{'artefact':<20} {'files':>6} {'unzipped':>12} {'zipped':>12}"]
    for artefact in artefacts:
        lines.append(f"{artefact.name:<20} {artefact.files:>6} {artefact.size:>12,} {artefact.zipped:>12,}")
    total = sum(a.size for a in artefacts)
    lines.append(
        f"{'total':<20} {sum(a.files for a in artefacts):>6} {total:>12,} {sum(a.zipped for a in artefacts):>12,}"
    )
    return "\n".join(lines)


def main(arguments: list[str]) -> int:
    build = Path(arguments[0]) if arguments else ROOT / ".aws-sam" / "build"
    artefacts, problems = check(build)
    print(report(artefacts))
    for problem in problems:
        print(f"  not for Lambda: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
