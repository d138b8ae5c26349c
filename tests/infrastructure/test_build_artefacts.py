"""The check `make build` runs on .aws-sam/build (build_artefacts.py): on a made-up build, and on the real one
when there is one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infrastructure.build_artefacts import ROOT, RUNTIME_MAGIC, UNCHECKED_HASH, check, report


def elf(machine: int) -> bytes:
    # the first 20 bytes of a little-endian 64-bit ELF file: magic, class, data, version, ABI, type, machine
    return b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x03\x00" + machine.to_bytes(2, "little")


def write(path: Path, content: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def pyc(magic: bytes = RUNTIME_MAGIC, flags: int = UNCHECKED_HASH) -> bytes:
    # PEP 552's header: magic, flags, then the source's hash (or time and size), then the marshalled code
    return magic + flags.to_bytes(4, "little") + bytes(8)


def module(site: Path, relative: str) -> None:
    """A module of the layer and its bytecode, as shared/Makefile compiles it."""
    write(site / relative)
    source = Path(relative)
    write(site / source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc", pyc())


def made_up_build(build: Path) -> None:
    write(build / "template.yaml")
    write(build / "TrackFunction" / "app.py", b"def handler(event, context): ...\n")
    site = build / "SharedLayer" / "python"
    module(site, "mostread/__init__.py")
    write(site / "mostread" / "static" / "widget.v1.js")
    module(site, "fast/__init__.py")
    write(site / "fast" / "_speedups.cpython-312-aarch64-linux-gnu.so", elf(183))
    write(
        site / "fast-1.0.dist-info" / "RECORD",
        b"fast/__init__.py,,\nfast/_speedups.cpython-312-aarch64-linux-gnu.so,,\nfast-1.0.dist-info/RECORD,,\n"
        b"fast/slow.py,,\n",
    )


def test_a_clean_build_passes_and_is_measured(tmp_path: Path) -> None:
    made_up_build(tmp_path)
    artefacts, problems = check(tmp_path)
    assert problems == []
    assert [(a.name, a.files) for a in artefacts] == [("SharedLayer", 7), ("TrackFunction", 1)]
    assert all(a.zipped > 0 for a in artefacts)
    assert "SharedLayer" in report(artefacts)


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        ("TrackFunction/tests/test_app.py", b"", "not a file of functions/track/"),
        ("TrackFunction/__pycache__/app.cpython-312.pyc", b"", "not a file of functions/track/"),
        ("SharedLayer/python/mostread/test_keys.py", b"", "not part of the mostread package"),
        ("SharedLayer/python/mostread/README.md", b"", "not part of the mostread package"),
        ("SharedLayer/python/mostread_dev/cli.py", b"", "neither an installed requirement"),
        ("SharedLayer/python/benchmarks/run.py", b"", "neither an installed requirement"),
        ("SharedLayer/docs/architecture.md", b"", "outside python/"),
        ("SharedLayer/python/fast/_x.cpython-312-x86_64-linux-gnu.so", elf(62), "not an aarch64 library"),
        ("SharedLayer/python/fast/_y.cpython-311-aarch64-linux-gnu.so", elf(183), "another Python than 3.12"),
        ("SharedLayer/python/fast/slow.py", b"", "no bytecode for CPython 3.12"),
        ("SharedLayer/python/fast/__pycache__/gone.cpython-312.pyc", pyc(), "bytecode of no module"),
        ("SharedLayer/python/fast/__pycache__/__init__.cpython-312.pyc", pyc(b"\xa7\r\r\n"), "not for CPython 3.12"),
        ("SharedLayer/python/fast/__pycache__/__init__.cpython-312.pyc", pyc(flags=0), "checked against the source"),
        ("SharedLayer/python/fast/__pycache__/__init__.cpython-312.pyc", pyc(flags=3), "checked against the source"),
        ("ExtraFunction/app.py", b"", "neither a function of template.yaml"),
    ],
)
def test_what_does_not_run_in_lambda_is_named(tmp_path: Path, path: str, content: bytes, reason: str) -> None:
    made_up_build(tmp_path)
    write(tmp_path / path, content)
    _, problems = check(tmp_path)
    assert len(problems) >= 1
    assert any(reason in problem for problem in problems), problems


def test_the_current_build_holds_only_what_runs_in_lambda() -> None:
    build = ROOT / ".aws-sam" / "build"
    if not (build / "template.yaml").is_file():
        pytest.skip("nothing built (`make build`)")
    _, problems = check(build)
    assert problems == []
