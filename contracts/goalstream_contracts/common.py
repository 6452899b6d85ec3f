"""Value types that appear inside several payloads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from goalstream_contracts.base import FiniteFloat, Timestamp

GoalKind = Literal["hard", "anti"]
Level = Literal["organisation", "department", "team", "individual"]
Rollup = Literal["weighted_mean", "sum", "worst"]
Aggregation = Literal["latest", "sum"]
Comparator = Literal["above", "below"]
Severity = Literal["info", "warning", "critical"]
GoalStatus = Literal["on_track", "at_risk", "off_track", "achieved", "missed"]


class Metric(BaseModel):
    """The KPI a goal binds to and how its values combine into the current value."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str = Field(min_length=1, max_length=200, description="e.g. crm.leads.qualified")
    aggregation: Aggregation = Field(
        default="latest",
        description="latest: a gauge, the value observed last counts; sum: a counter summed from start_at",
    )


class Milestone(BaseModel):
    """One step of a backward plan."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    index: int = Field(ge=1, description="1-based position in the plan")
    due: Timestamp = Field(description="when the milestone falls due")
    target: FiniteFloat = Field(description="the value to reach by `due`")
    fraction: FiniteFloat = Field(description="the share of the goal's progress this milestone stands for")


class LadderRung(BaseModel):
    """A rung of a ladder: a hard goal, active only once the rungs before it are achieved."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    index: int = Field(ge=1)
    goal_id: str
    title: str
