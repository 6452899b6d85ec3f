"""What `goalstream run` prints once everything is ready: URLs, the demo key and a curl example."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

# The new goal's id from the answer; an error answer (curl prints its JSON body) is shown as it is, not as a traceback.
PICK_ID = (
    'import json,sys; t=sys.stdin.read(); a=json.loads(t) if t.strip() else sys.exit("no answer: see the error above");'
    ' print(a["id"]) if "id" in a else sys.exit(t)'
)


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
GOAL=$(curl -sS --fail-with-body -X POST {goals}/v1/goals {auth} -H 'content-type: application/json' \\
  -d '{goal}' | python3 -c '{PICK_ID}')
curl -sS --fail-with-body -X POST {goals}/v1/measurements {auth} -H 'content-type: application/json' \\
  -d '{measurement}'
sleep 1
curl -sS --fail-with-body {tracking}/v1/goals/$GOAL/progress {auth}"""


def banner(
    goals: str, tracking: str, notifications: str, key: str, logs: Path, addresses: Path, demo_allow: str | None
) -> str:
    demo = (
        ""
        if demo_allow is None
        else f"  [yellow]demo:[/] webhooks may go to this machine: GOALSTREAM_EGRESS_ALLOW={demo_allow}\n"
    )
    return f"""
[bold green]goalstream is running.[/]  Ctrl-C stops everything.

  dashboard      {tracking}/

  service        API                             docs (OpenAPI)
  goals          {goals:<31} {goals}/docs
  tracking       {tracking:<31} {tracking}/docs
  notifications  {notifications:<31} {notifications}/docs

  logs           {logs}/
  addresses      {addresses} (what `goalstream tail`, `lag`, `import` and `admin` use)

  demo organisation API key:  [bold]{key}[/]
{demo}
Try it (a goal, a measurement, its progress):
"""
