"""The fault suite's report: one line per fault, printed at the end of the run (and kept as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

COLUMNS = (
    ("fault", "fault", 34),
    ("acknowledged", "acknowledged", 12),
    ("lost", "lost", 4),
    ("duplicate_effects", "dup. effects", 12),
    ("duplicate_deliveries", "dup. deliveries", 15),
    ("recovery_seconds", "recovery s", 10),
    ("drained_seconds", "drained s", 9),
)


@dataclass
class FaultReport:
    fault: str
    acknowledged: int = 0  # measurements the platform acknowledged during this fault's run
    lost: int = 0  # must be 0
    duplicate_effects: int = 0  # must be 0
    duplicate_deliveries: int = 0  # reported: at-least-once delivery repeats an attempt in flight
    recovery_seconds: float = 0.0  # from the fault until a new measurement is in the read models again
    drained_seconds: float = 0.0  # from the end of the load until nothing was left to flow
    details: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        wrong = [f"{name} = {getattr(self, name)}" for name in ("lost", "duplicate_effects") if getattr(self, name)]
        return wrong + (self.details if wrong else [])


REPORTS: list[FaultReport] = []  # this run's, in the order the faults ran


def table(reports: list[FaultReport]) -> str:
    header = "  ".join(title.ljust(width) for _, title, width in COLUMNS)
    lines = [header, "-" * len(header)]
    for r in reports:
        cells = []
        for name, _, width in COLUMNS:
            value = getattr(r, name)
            cells.append((f"{value:.1f}" if isinstance(value, float) else str(value)).ljust(width))
        lines.append("  ".join(cells))
    return "\n".join(lines)


def save(reports: list[FaultReport], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in reports], indent=2) + "\n")
