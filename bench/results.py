"""What a run measured: one result per figure, the machine it ran on, the table and `bench/results.json`."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table

RESULTS_FILE = Path(__file__).parent / "results.json"
Better = Literal["higher", "lower"]


@dataclass
class Figure:
    """One number. `target` is the issue's figure (None: informative only); `note` says how it was reached."""

    phase: str
    name: str
    value: float | None
    unit: str
    target: float | None = None
    better: Better = "higher"
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.value is None:
            return "not measured"
        met = self.value >= self.target if self.better == "higher" else self.value <= self.target
        return "met" if met else "missed"


@dataclass
class Results:
    scale: str
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    figures: list[Figure] = field(default_factory=list)
    phases: dict[str, str] = field(default_factory=dict)  # phase -> "done", "timed out ...", "failed: ..."

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def value(self, phase: str, name: str) -> float | None:
        return next((f.value for f in self.figures if f.phase == phase and f.name == name), None)

    def write(self, path: Path = RESULTS_FILE) -> None:
        body = {
            "scale": self.scale,
            "started_at": self.started_at,
            "machine": machine(),
            "phases": self.phases,
            "figures": [{**asdict(f), "verdict": f.verdict} for f in self.figures],
        }
        path.write_text(json.dumps(body, indent=2) + "\n")

    def print_table(self, console: Console) -> None:
        table = Table(title=f"goalstream benchmark ({self.scale} scale)")
        for column in ("phase", "figure", "value", "unit", "target", "verdict", "note"):
            table.add_column(column, justify="right" if column in ("value", "target") else "left")
        for f in self.figures:
            target = "" if f.target is None else f"{'≥' if f.better == 'higher' else '≤'}{f.target:,.0f}"
            value = "—" if f.value is None else f"{f.value:,.1f}"
            colour = {"met": "green", "missed": "red"}.get(f.verdict, "yellow")
            table.add_row(f.phase, f.name, value, f.unit, target, f"[{colour}]{f.verdict}[/]", f.note)
        Console(width=max(console.width, 160), stderr=console.stderr).print(table)
        for phase, state in self.phases.items():
            if state != "done":
                console.print(f"[yellow]{phase}[/]: {state}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10).stdout
    return out.stdout.strip() + ("-dirty" if dirty.strip() else "")


def machine() -> dict[str, object]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_bytes": _ram_bytes(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
    }
