"""`ensure_topics` waits for a broker that is starting: a KafkaError is tried again until the timeout."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from goalstream_runtime import kafka_admin, kafka_clients


class Admin:
    """An admin client whose start fails while `failures` lasts; records what was made and closed."""

    made: list[Admin] = []

    def __init__(self, failures: list[BaseException]) -> None:
        self.failures, self.closed = failures, False
        Admin.made.append(self)

    async def start(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def close(self) -> None:
        self.closed = True

    async def list_topics(self) -> list[str]:
        return ["t"]


@pytest.fixture
def failures(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    pending: list[BaseException] = []
    Admin.made = []
    monkeypatch.setattr(kafka_clients, "admin", lambda *a, **k: Admin(pending))
    monkeypatch.setattr(kafka_admin, "CONNECT_WAIT", 0.01)
    return pending


async def test_a_broker_that_is_starting_is_tried_again(failures: list[Any]) -> None:
    failures += [KafkaConnectionError("not yet"), KafkaConnectionError("not yet")]
    await kafka_admin.ensure_topics("kafka:9092", ["t"], 1, timeout=30)
    assert [a.closed for a in Admin.made] == [True, True, True]  # two failed and closed, the third used and closed


async def test_the_broker_error_is_raised_after_the_timeout(failures: list[Any]) -> None:
    failures += [KafkaConnectionError(f"down {i}") for i in range(1000)]
    with pytest.raises(KafkaConnectionError):
        await kafka_admin.ensure_topics("kafka:9092", ["t"], 1, timeout=0.05)
    assert 1 < len(Admin.made) < 1000


async def test_other_errors_are_not_retried(failures: list[Any]) -> None:
    failures += [ValueError("a bug, not a broker starting")]
    with pytest.raises(ValueError, match="a bug"):
        await kafka_admin.ensure_topics("kafka:9092", ["t"], 1, timeout=30)
    assert len(Admin.made) == 1
