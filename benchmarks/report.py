"""Tables printed to the terminal (rich) and written to BENCHMARKS.md (markdown), one section per benchmark."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from benchmarks.common import Machine

console = Console()


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def print(self) -> None:
        table = RichTable(title=self.title, title_justify="left")
        for index, column in enumerate(self.columns):
            table.add_column(column, justify="left" if index == 0 else "right")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)

    def markdown(self) -> str:
        aligns = ["---"] + ["---:"] * (len(self.columns) - 1)
        lines = [f"**{self.title}**", "", _row(self.columns), _row(aligns)]
        lines.extend(_row(row) for row in self.rows)
        return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


@dataclass
class Section:
    name: str
    title: str
    method: str
    command: str
    tables: list[Table] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    quick: bool = False
    seconds: float = 0.0
    measured_on: Machine | None = None  # set when the benchmark finishes

    def print(self) -> None:
        console.rule(f"[bold]{self.title}")
        for table in self.tables:
            table.print()
        for finding in self.findings:
            console.print(f"• {finding}")
        console.print(f"[dim]({self.seconds:.0f} s)[/dim]")

    def markdown(self, machine: Machine) -> str:
        machine = self.measured_on or machine
        mode = "quick mode (reduced sizes, see method)" if self.quick else "full run"
        parts = [
            f"## {self.title}",
            "",
            f"*Measured {machine.date} on {machine.cpus} CPUs, Python {machine.python}, code at {machine.revision}; "
            f"{mode}; took {self.seconds:.0f} s. Reproduce: `{self.command}`*",
            "",
            self.method.strip(),
            "",
        ]
        for table in self.tables:
            parts.extend([table.markdown(), ""])
        if self.findings:
            parts.append("**Findings**")
            parts.append("")
            parts.extend(f"- {finding}" for finding in self.findings)
            parts.append("")
        return "\n".join(parts).rstrip() + "\n"


# --- BENCHMARKS.md ---------------------------------------------------------------------------------------

_BLOCK = re.compile(r"<!-- benchmark:(?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- /benchmark:(?P=name) -->", re.DOTALL)


def write_document(
    path: Path, intro: str, order: Sequence[str], titles: dict[str, str], sections: Sequence[Section], machine: Machine
) -> None:
    """Regenerate ``path``: the intro, then every benchmark's section. Sections not run this time keep the
    text of their last run."""
    previous = {match["name"]: match["body"] for match in _BLOCK.finditer(path.read_text())} if path.exists() else {}
    fresh = {section.name: section.markdown(machine) for section in sections}
    blocks = [intro.strip(), ""]
    for name in order:
        body = fresh.get(name) or previous.get(name) or f"## {titles[name]}\n\nNot run yet.\n"
        blocks.append(f"<!-- benchmark:{name} -->\n{body}<!-- /benchmark:{name} -->\n")
    path.write_text("\n".join(blocks))
