"""Which events a subscription wants, and what a subscription request may say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from goalstream_contracts.events import AntiGoalBreached, GoalAchieved, GoalSet
from goalstream_notifications.domain.subscription import (
    GOAL_EVENT_TYPES,
    SubscriptionFilter,
    event_goal_id,
    event_severity,
    matches,
)
from goalstream_notifications.entrypoints.schemas import SubscriptionCreate

AT = datetime(2025, 3, 1, tzinfo=UTC)
NO_LINEAGE: set[str] = set()


def sub(**kw: object) -> SubscriptionFilter:
    return SubscriptionFilter(subscription_id="s", **{"event_types": frozenset(), **kw})  # type: ignore[arg-type]


def test_goal_event_types_are_the_goal_topics_payloads() -> None:
    assert {"GoalSet", "GoalAchieved", "AntiGoalBreached", "LadderRungUnlocked"} <= GOAL_EVENT_TYPES
    assert len(GOAL_EVENT_TYPES) == 15
    assert not {"AlertDelivered", "ApiKeyIssued", "MeasurementSubmitted"} & GOAL_EVENT_TYPES


def test_empty_event_types_match_every_type() -> None:
    assert matches(sub(), "GoalSet", None, NO_LINEAGE)
    assert matches(sub(), "GoalAchieved", None, NO_LINEAGE)


def test_listed_event_types_match_only_those() -> None:
    only = sub(event_types=frozenset({"GoalAchieved", "GoalMissed"}))
    assert matches(only, "GoalAchieved", None, NO_LINEAGE)
    assert not matches(only, "GoalSet", None, NO_LINEAGE)


@pytest.mark.parametrize(
    ("minimum", "severity", "wanted"),
    [
        (None, None, True),
        (None, "info", True),
        ("info", None, False),
        ("info", "info", True),
        ("warning", "info", False),
        ("warning", "warning", True),
        ("warning", "critical", True),
        ("critical", "warning", False),
        ("critical", "critical", True),
    ],
)
def test_min_severity(minimum: str | None, severity: str | None, wanted: bool) -> None:
    assert matches(sub(min_severity=minimum), "AntiGoalBreached", severity, NO_LINEAGE) is wanted  # type: ignore[arg-type]


def test_root_goal_matches_the_root_and_its_descendants_only() -> None:
    subtree = sub(root_goal_id="root")
    assert matches(subtree, "GoalAchieved", None, {"root"})
    assert matches(subtree, "GoalAchieved", None, {"leaf", "mid", "root"})
    assert not matches(subtree, "GoalAchieved", None, {"other"})
    assert not matches(subtree, "LadderSet", None, NO_LINEAGE)


def test_severity_and_goal_are_read_from_the_payload() -> None:
    breach = AntiGoalBreached(
        goal_id="a", value=5, threshold=3, comparator="above", severity="critical", breached_at=AT
    )
    achieved = GoalAchieved(goal_id="g", value=1, target=1, progress=1, achieved_at=AT)
    assert (event_severity(breach), event_goal_id(breach)) == ("critical", "a")
    assert (event_severity(achieved), event_goal_id(achieved)) == (None, "g")
    assert event_severity(GoalSet(goal_id="x", kind="hard", title="t")) is None


def _errors(**body: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        SubscriptionCreate.model_validate(body)
    return [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()]


def test_request_validation_names_the_field() -> None:
    ok = {"channel": "webhook", "target": "https://example.com/hook"}
    assert SubscriptionCreate.model_validate(ok).event_types == []
    assert _errors(**ok, event_types=["GoalAchieved", "NoSuchEvent"]) == ["event_types.1"]
    assert _errors(**ok, event_types=["AlertDelivered"]) == ["event_types.0"]
    assert _errors(channel="webhook", target="ftp://example.com/x") == ["target"]
    assert _errors(channel="webhook", target="/relative") == ["target"]
    assert _errors(channel="pager", target="https://example.com") == ["channel"]
    assert _errors(**ok, min_severity="fatal") == ["min_severity"]
    assert _errors(**ok, surprise=1) == ["surprise"]


def test_slack_and_email_targets_are_validated_for_their_channel() -> None:
    assert SubscriptionCreate.model_validate({"channel": "email", "target": "ops@example.com"}).channel == "email"
    assert SubscriptionCreate.model_validate({"channel": "slack", "target": "https://hooks.slack.com/services/T/B/x"})
    # Plain http carries Slack's token in clear text: only to a loopback receiver.
    assert SubscriptionCreate.model_validate({"channel": "slack", "target": "http://127.0.0.1:8080/hook"})
    assert _errors(channel="slack", target="http://hooks.slack.com/services/T/B/x") == ["target"]
    assert _errors(channel="slack", target="ops@example.com") == ["target"]
    for bad in ("https://example.com", "Ops <ops@example.com>", "a@b.c, d@e.f", "ops@example.com\nBcc: x@y.z", "@x"):
        assert _errors(channel="email", target=bad) == ["target"], bad
