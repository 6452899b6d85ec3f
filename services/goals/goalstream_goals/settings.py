"""Settings of the goals service (environment, prefix `GOALSTREAM_`)."""

from __future__ import annotations

from pydantic import Field

from goalstream_runtime.settings import RelaySettings


class GoalsSettings(RelaySettings):
    http_port: int = Field(default=8001, description="Port of the goals HTTP API.")
    demo_api_key: str | None = Field(
        default=None, description="When set and no organisation exists, create the demo organisation with this key."
    )
    demo_org_id: str = Field(default="demo", description="Id of the demo organisation.")
    scheduler_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the scheduler looks for time-driven events (status bands, missed milestones and"
        " deadlines, check-ins). Lower means time events arrive sooner after they fall due.",
    )
    scheduler_enabled: bool = Field(default=True, description="Run the scheduler in this instance.")
    goal_cache_size: int = Field(
        default=10_000,
        ge=0,
        description="Goals kept in memory as last committed (least recently used go first), so loading one reads"
        " only its newer events. Each takes a few kilobytes; 0 turns the cache off.",
    )
    tree_memory_rows: int = Field(
        default=100_000,
        ge=0,
        description="Goal tree rows kept in memory as last committed, whole organisations at a time (least"
        " recently used go first), so a session reads only the tree's version instead of its rows. An"
        " organisation with more rows is read from PostgreSQL as before. Each row takes about 200 bytes; 0: none.",
    )
    batch_goals_at_once: int = Field(
        default=5_000,
        ge=1,
        description="Most goals `POST /v1/goals/batch` decides and writes at once in this process, over all"
        " requests; further batches wait their turn (first come, first served). A batch holds about 10 KB a goal"
        " until it commits, so this bounds that memory; the default is one batch of the API's largest size.",
    )
