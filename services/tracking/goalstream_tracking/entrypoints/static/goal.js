// A goal's page (#goal=<id>): where it stands, its chart, its milestones, where its number came from and
// the events of its history.
import { json, state } from "./api.js";
import { drawChart, milestoneState } from "./chart.js";
import { bar, el, goalLink, number, percent, section, statusBadge, valueAgainstTarget, when } from "./dom.js";

const id = (goalId) => encodeURIComponent(goalId);

// GET /v1/goals/{id}/history takes no as_of: with one set, only the changes of that time are kept. Recorded
// time: the goal's versions up to the one its as-of answer reflects (what the platform knew then). Observed
// time: the changes dated by then (a measurement's observed time, else when the event occurred).
function asOfThen(history, goal) {
  if (!state.asOf) return history;
  const then = Date.parse(goal.as_of);
  const kept = state.mode === "recorded" ? (p) => p.version <= goal.version : (p) => Date.parse(p.at) <= then;
  return { ...history, points: history.points.filter(kept) };
}

// The series route, or where this tracking has none yet, the same shape from the history and the plan.
async function series(goal) {
  try {
    return await json(`/v1/goals/${id(goal.goal_id)}/series`);
  } catch (error) {
    if (error.status !== 404) throw error; // no series route yet, or none for this time or mode: derive it
    const history = asOfThen(await json(`/v1/goals/${id(goal.goal_id)}/history`, {}, { timed: false }), goal);
    const points = history.points.filter((p) => p.current !== null).map((p) => ({ at: p.at, value: p.current }));
    const expected = goal.milestones.map((m) => ({ at: m.due, value: m.target }));
    return { points, expected, target: goal.target, milestones: goal.milestones, derived: true };
  }
}

function facts(goal) {
  const dl = el("dl", "facts");
  const add = (term, value) => dl.append(el("dt", "", term), el("dd", "", value));
  add("value / target", valueAgainstTarget(goal));
  add("progress", `${percent(goal.progress)} (expected ${percent(goal.expected_progress)})`);
  add("owner", goal.owner ?? "–");
  add("deadline", when(goal.deadline));
  add("level", goal.level ?? "–");
  if (goal.ladder_id) add("ladder rung", `${goal.rung ?? "?"} of ladder ${goal.ladder_id}`);
  if (goal.open_breaches) add("open breaches", String(goal.open_breaches));
  return dl;
}

function milestones(goal) {
  if (!goal.milestones.length) return el("p", "muted", "No milestones.");
  const list = el("ol", "milestones");
  for (const m of goal.milestones) {
    const state = milestoneState(m);
    const li = el("li", "milestone ms-" + state);
    li.append(el("strong", "", state), document.createTextNode(
      ` · ${number(m.target, goal.unit)} by ${when(m.due)}${m.at ? ` (${m.state} ${when(m.at)})` : ""}`));
    list.appendChild(li);
  }
  return list;
}

// Where the number came from: a measurement and its source, a check-in with its comment and confidence,
// or the rollup of its children with their weights and what each contributes.
async function provenance(goal) {
  const s = goal.source;
  if (!s) return el("p", "muted", "No value yet: no measurement has been recorded for it.");
  if (s.kind !== "rollup") {
    const p = el("p", "source");
    const what = s.kind === "check_in" ? "check-in" : "measurement";
    p.append(el("strong", "", what), document.createTextNode(
      ` of ${number(s.value, goal.unit)} observed ${when(s.observed_at)} from `), el("span", "src", s.source ?? "–"));
    if (s.comment) p.append(document.createTextNode(" · comment: "), el("q", "comment", s.comment));
    if (typeof s.confidence === "number") p.append(document.createTextNode(` · confidence ${s.confidence}`));
    return p;
  }
  const tree = await json("/v1/tree", { root: goal.goal_id, max_depth: 1 });
  const titles = new Map(tree.children.map((c) => [c.goal.goal_id, c.goal.title]));
  // A child's value and contribution are, for a sum, amounts in the goal's unit, else clamped progress
  // (fractions of 1), shown as percentages as the tree shows progress.
  const shown = s.rollup === "sum" ? (v) => number(v, goal.unit) : percent;
  const table = el("table", "rollup");
  table.createCaption().textContent = `rollup: ${s.rollup}`;
  const head = table.createTHead().insertRow();
  for (const h of ["child", "weight", "value", "contribution"]) head.appendChild(el("th", "", h));
  const body = table.createTBody();
  for (const c of s.children) {
    const row = body.insertRow();
    const share = c.contribution ?? null; // worked out by tracking with the rollup's own rule
    row.insertCell().appendChild(goalLink(c.goal_id, titles.get(c.goal_id) ?? c.goal_id));
    row.insertCell().textContent = String(c.weight);
    row.insertCell().textContent = shown(c.value);
    row.insertCell().textContent = share === null ? "–" : shown(share);
  }
  return table;
}

const LATEST = 100; // changes listed on a goal's page: the newest

// The newest changes first (`before_version`): in recorded time the versions up to the one the as-of answer
// reflects, exactly; otherwise the latest, kept by `asOfThen` in observed time.
async function latestChanges(goal) {
  const before = state.asOf && state.mode === "recorded" ? goal.version + 1 : 2 ** 31;
  const history = await json(`/v1/goals/${id(goal.goal_id)}/history`, { before_version: before, limit: LATEST },
    { timed: false });
  return asOfThen(history, goal);
}

function historyTable(history, unit) {
  if (!history.points.length) return el("p", "muted", "No events yet.");
  const table = el("table", "history");
  if (history.next_before_version) table.createCaption().textContent = `the latest ${LATEST} changes`;
  const head = table.createTHead().insertRow();
  for (const h of ["when", "event", "value", "progress", "status"]) head.appendChild(el("th", "", h));
  const body = table.createTBody();
  for (const p of history.points) { // newest first
    const row = body.insertRow();
    row.insertCell().textContent = when(p.at);
    row.insertCell().textContent = p.event_type;
    row.insertCell().textContent = number(p.current, unit);
    row.insertCell().textContent = percent(p.progress);
    row.insertCell().appendChild(statusBadge(p.status));
  }
  return table;
}

export async function drawGoal(into, goalId) {
  const goal = await json(`/v1/goals/${id(goalId)}/progress`);
  const [data, history, source] = await Promise.all([
    series(goal),
    latestChanges(goal),
    provenance(goal),
  ]);
  const head = el("header", "goal-head");
  head.append(el("h2", "goal-title", goal.title), statusBadge(goal.status), bar(goal.progress_clamped, `progress of ${goal.title}`, percent(goal.progress)));
  const chart = el("div", "chart");
  chart.id = "chart";
  const note = data.derived ? el("p", "muted", "Drawn from the goal's history and plan (tracking gave no value series for this view).") : "";
  into.replaceChildren(head, facts(goal), section("Value over time", chart, note),
    section("Milestones", milestones(goal)), section("Where the number comes from", source),
    section("History", historyTable(history, goal.unit)));
  drawChart(chart, data, goal.unit);
  return goal;
}
