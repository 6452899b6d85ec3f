"""The fault suite's platform (its own PostgreSQL and broker, which the faults crash) and its report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.platform import FaultPlatform
from tests.faults.receiver import ThreadedReceiver
from tests.faults.report import REPORTS, table
from tests.faults.rig import Rig, set_up


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    platform, receiver = FaultPlatform(tmp_path_factory.mktemp("faults")), ThreadedReceiver().start()
    try:
        platform.start()
        yield set_up(platform, receiver)
    finally:
        platform.stop()
        receiver.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.section("fault injection")
        terminalreporter.write_line(table(REPORTS))
