// What a new organisation sees before its first goal: what to do next, with the lines that do it.
import { el } from "./dom.js";

const GOALS = `${location.protocol}//${location.hostname}:8001`; // goals' default port beside tracking's

export function emptyState() {
  const box = el("div", "empty");
  const start = new Date().toISOString().slice(0, 10);
  const body = JSON.stringify({ title: "Reach 100 customers", metric: { key: "customers" }, target: 100,
    start_at: `${start}T00:00:00Z`, deadline: `${Number(start.slice(0, 4)) + 1}${start.slice(4)}T00:00:00Z` });
  box.append(
    el("h3", "", "No goals yet"),
    el("p", "", "Create a first goal with the goals API (it shows here within a second or two):"),
    el("pre", "", `curl -X POST ${GOALS}/v1/goals -H "Authorization: Bearer $GOALSTREAM_KEY" \\\n`
      + `  -H 'Content-Type: application/json' -d '${body}'`),
    el("p", "", "or import a whole tree from a CSV or JSON file with the CLI:"),
    el("pre", "", `goalstream goals import goals.csv --api ${GOALS} --key "$GOALSTREAM_KEY"`),
    el("p", "muted", "Then send its values: POST /v1/measurements with {\"measurements\": [{\"metric\": \"customers\", \"value\": 12}]}."),
  );
  return box;
}
