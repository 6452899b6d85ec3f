"""What `goalstream run` prints once everything is ready: URLs, the demo key and a curl example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path


def curl_example(goals: str, tracking: str, key: str, now: datetime | None = None) -> str:
    """Shell lines that set a goal, send a measurement and read the progress; they work as printed."""
    now = now or datetime.now(UTC)
    start = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    deadline = (now + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    observed = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    goal = (
        '{"title": "Qualified leads", "metric": {"key": "crm.leads.qualified", "aggregation": "sum"}, '
        f'"target": 100, "start_at": "{start}", "deadline": "{deadline}"}}'
    )
    measurement = f'{{"measurements": [{{"metric": "crm.leads.qualified", "value": 40, "observed_at": "{observed}"}}]}}'
    auth = '-H "Authorization: Bearer $GOALSTREAM_KEY"'
    return f"""\
export GOALSTREAM_KEY={key}
GOAL=$(curl -sf -X POST {goals}/v1/goals {auth} -H 'content-type: application/json' \\
  -d '{goal}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf -X POST {goals}/v1/measurements {auth} -H 'content-type: application/json' \\
  -d '{measurement}'
sleep 1
curl -sf {tracking}/v1/goals/$GOAL/progress {auth}"""


def banner(goals: str, tracking: str, notifications: str, key: str, logs: Path) -> str:
    return f"""
[bold green]goalstream is running.[/]  Ctrl-C stops everything.

  goals          {goals}     OpenAPI at /docs
  tracking       {tracking}
  notifications  {notifications}
  logs           {logs}/

  demo organisation API key:  [bold]{key}[/]

Try it (a goal, a measurement, its progress):
"""
