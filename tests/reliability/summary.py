"""The reliability suite's scoreboard: one row per scenario, printed at the end.

Each scenario records what it saw; the row's "bad" columns (wrong outcome, stuck,
double charges) must be zero, and each scenario asserts that itself, so a failure
points at its scenario while the table shows the whole picture.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """What one scenario saw.

    Attributes:
        scenario: its name.
        lifecycles: how many lifecycles (or, for input scenarios, requests) it drove.
        completed: how many ended as they should.
        wrong_outcome: ended, but not as they should have.
        stuck: neither ended nor waiting on a timer or a wait that will end.
        double_charges: identity checks or documents charged more than once.
    """

    scenario: str
    lifecycles: int
    completed: int
    wrong_outcome: int = 0
    stuck: int = 0
    double_charges: int = 0

    @property
    def bad(self) -> int:
        """The sum of the columns that must be zero."""
        return self.wrong_outcome + self.stuck + self.double_charges


ROWS: list[Row] = []


def record(row: Row) -> Row:
    """Add a scenario's row to the table and return it (for the scenario's assert)."""
    ROWS.append(row)
    return row


def table() -> str:
    """The table, for the terminal."""
    header = ("scenario", "lifecycles", "completed", "wrong outcome", "stuck", "double charges")
    rows = [
        (r.scenario, r.lifecycles, r.completed, r.wrong_outcome, r.stuck, r.double_charges)
        for r in ROWS
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        for line in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
