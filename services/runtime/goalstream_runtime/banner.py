"""What `goalstream run` prints once everything is ready: URLs, the demo key and a curl example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


def curl_example(goals: str, tracking: str, key: str, now: datetime | None = None) -> str:
    """Shell lines that set a goal, send a measurement and read the progress; they work as printed."""
    now = now or datetime.now(UTC)
    deadline = (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    observed = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""\
export GOALSTREAM_KEY={key}
GOAL=$(curl -sf -X POST {goals}/v1/goals -H "Authorization: Bearer $GOALSTREAM_KEY" \\
  -H 'content-type: application/json' \\
  -d '{{"title": "Qualified leads", "metric": {{"key": "crm.leads.qualified", "aggregation": "sum"}}, \\
       "target": 100, "deadline": "{deadline}"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -X POST {goals}/v1/measurements -H "Authorization: Bearer $GOALSTREAM_KEY" \\
  -H 'content-type: application/json' \\
  -d '{{"measurements": [{{"metric": "crm.leads.qualified", "value": 40, "observed_at": "{observed}"}}]}}'
sleep 1
curl -sf {tracking}/v1/goals/$GOAL/progress -H "Authorization: Bearer $GOALSTREAM_KEY\""""


def banner(goals: str, tracking: str, notifications: str, key: str, logs: Path) -> str:
    return f"""
[bold green]goalstream is running.[/]  Ctrl-C stops everything.

  goals          {goals}          (OpenAPI: {goals}/docs)
  tracking       {tracking}          (OpenAPI: {tracking}/docs)
  notifications  {notifications}          (OpenAPI: {notifications}/docs)
  logs           {logs}/

  demo organisation API key:  [bold]{key}[/]

Try it (a goal, a measurement, its progress):
"""
