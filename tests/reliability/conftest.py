"""The reliability suite: real processes, broken on purpose. Prints its scoreboard."""

from __future__ import annotations

import pytest

from tests.reliability.summary import ROWS, table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the scoreboard after the run (only when a scenario ran)."""
    if ROWS:
        terminalreporter.section("reliability summary")
        terminalreporter.write_line(table())
