"use strict";
// The dashboard at `/`: reads the tracking API with the key the user gives it (kept in this tab only).
// Text from the API (titles, sources, error messages) is only ever written with textContent, never as
// HTML: the page's Content-Security-Policy (Trusted Types) makes the browser refuse HTML from strings,
// so a title such as <img onerror=…> shows as those characters. CSS classes come from the fixed maps
// below, never from a value the API returns.

const STATUS_CLASS = new Map([
  ["on_track", "on_track"], ["at_risk", "at_risk"], ["off_track", "off_track"],
  ["achieved", "achieved"], ["missed", "missed"],
]);
const SEVERITY_CLASS = new Map([["info", "sev-info"], ["warning", "sev-warning"], ["critical", "sev-critical"]]);
const SOURCE_LABEL = new Map([["measurement", "measurement"], ["check_in", "check-in"], ["rollup", "rollup"]]);

const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem("goalstream-key") || "";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function percent(value) {
  return typeof value === "number" ? (value * 100).toFixed(1) + "%" : "–";
}

async function api(path, params = {}) {
  const query = new URLSearchParams(params);
  const asOf = $("asof").value.trim();
  if (asOf) query.set("as_of", asOf);
  const url = query.toString() ? `${path}?${query}` : path;
  const response = await fetch(url, { headers: { Authorization: "Bearer " + key } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await problem(response)}`);
  return response.json();
}

async function problem(response) {
  const text = await response.text();
  try {
    return JSON.parse(text).message || text;
  } catch {
    return text;
  }
}

// Where the goal's number came from: a measurement or check-in (the source its sender named, a check-in's
// comment), or a rollup.
function origin(source) {
  if (!source) return "";
  const parts = [SOURCE_LABEL.get(source.kind) ?? ""];
  if (source.source) parts.push(source.source);
  if (source.comment) parts.push(`“${source.comment}”`);
  return parts.join(" · ");
}

function row(goal, depth) {
  const div = el("div", "goal");
  div.dataset.goalId = goal.goal_id; // a data attribute: text, matched by comparison, never by a selector
  div.style.setProperty("--depth", String(depth)); // the CSS object model, which the policy allows
  const bar = el("span", "bar");
  const fill = bar.appendChild(el("span"));
  fill.style.width = percent(typeof goal.progress_clamped === "number" ? goal.progress_clamped : 0);
  const status = goal.status ? String(goal.status).replace("_", " ") : "no status";
  div.append(
    el("span", "title", goal.title),
    bar,
    el("span", "", percent(goal.progress)),
    el("span", STATUS_CLASS.get(goal.status) ?? "muted", status),
    el("span", "muted", origin(goal.source)),
    el("span", "breach", goal.open_breaches ? `${goal.open_breaches} breach` : ""),
  );
  return div;
}

function antiRow(anti) {
  const div = el("div", "anti");
  div.dataset.goalId = anti.goal_id;
  const severity = el("span", "severity " + (SEVERITY_CLASS.get(anti.severity) ?? "muted"), anti.severity ?? "–");
  const limit = `${anti.current_value ?? "–"} (${anti.comparator ?? ""} ${anti.threshold ?? ""})`;
  div.append(el("span", "title", anti.title), severity, el("span", "muted", limit));
  return div;
}

function draw(tree, depth, into) {
  into.appendChild(row(tree.goal, depth));
  for (const child of tree.children) draw(child, depth + 1, into);
}

// The goal a link opens the dashboard at: `/#goal=<id>` (what alerts link to) or `/?goal=<id>`.
function linkedGoal() {
  return new URLSearchParams(location.hash.slice(1)).get("goal") ?? new URLSearchParams(location.search).get("goal");
}

// Highlight the linked goal and scroll to it; say so when it is not on the page.
function focusGoal() {
  const wanted = linkedGoal();
  const note = $("focus");
  for (const old of document.querySelectorAll(".focused")) old.classList.remove("focused");
  note.textContent = "";
  if (!wanted) return;
  if (!key) {
    note.textContent = `Give an API key to open goal ${wanted}.`;
    return;
  }
  const row = [...document.querySelectorAll("[data-goal-id]")].find((node) => node.dataset.goalId === wanted);
  if (!row) {
    note.textContent = `Goal ${wanted} is not among this organisation's goals shown here.`;
    return;
  }
  row.classList.add("focused");
  row.tabIndex = -1;
  row.scrollIntoView({ block: "center" });
  row.focus({ preventScroll: true });
}

async function show() {
  const out = $("tree");
  const anti = $("anti");
  out.replaceChildren();
  anti.replaceChildren();
  try {
    const roots = await api("/v1/tree");
    for (const root of roots.items) draw(await api("/v1/tree", { root: root.goal_id }), 0, out);
    if (!roots.items.length) out.appendChild(el("p", "muted", "No goals yet."));
    const breached = await api("/v1/anti-goals", { state: "breached" });
    for (const a of breached.items) anti.appendChild(antiRow(a));
    if (!breached.items.length) anti.appendChild(el("p", "muted", "None."));
    focusGoal();
  } catch (error) {
    out.replaceChildren(el("p", "breach", error.message));
  }
}

$("key").value = key;
$("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  key = $("key").value.trim();
  sessionStorage.setItem("goalstream-key", key);
  show();
});
window.addEventListener("hashchange", focusGoal);
if (key) show();
else focusGoal();
