"""The event catalogue of docs/design.md §3 (DESIGN §3), word for word: what the contract tests hold the code to."""

from __future__ import annotations

DESIGN_DOMAIN_EVENTS = (
    "GoalSet",
    "GoalRevised",
    "GoalArchived",
    "GoalPlanned",
    "MeasurementRecorded",
    "GoalStatusChanged",
    "MilestoneHit",
    "MilestoneMissed",
    "GoalAchieved",
    "GoalMissed",
    "AntiGoalBreached",
    "AntiGoalRecovered",
    "GoalCheckInDue",
    "LadderSet",
    "LadderRungUnlocked",
)
DESIGN_ALERT_EVENTS = ("AlertDelivered", "AlertDeliveryFailed")
DESIGN_EVENTS = DESIGN_DOMAIN_EVENTS + DESIGN_ALERT_EVENTS
