// Anti-goals: the current value against the threshold (and the recovery threshold), severity in words,
// and the breach episodes on a timeline from the first breach to now.
import { pages, state } from "./api.js";
import { el, goalLink, number, SEVERITY, when } from "./dom.js";

function timeline(episodes, now) {
  const line = el("span", "timeline");
  line.setAttribute("aria-hidden", "true"); // the episodes are listed in words beside it
  if (!episodes.length) return line;
  const start = Date.parse(episodes[0].breached_at);
  const span = Math.max(now - start, 1);
  for (const e of episodes) {
    const from = Date.parse(e.breached_at);
    const to = e.recovered_at ? Date.parse(e.recovered_at) : now;
    const seg = line.appendChild(el("span", e.recovered_at ? "episode" : "episode open"));
    seg.style.left = (((from - start) / span) * 100).toFixed(2) + "%";
    seg.style.width = Math.max(((to - from) / span) * 100, 0.8).toFixed(2) + "%";
  }
  return line;
}

function episodesText(episodes, unit) {
  return episodes.map((e) => `${when(e.breached_at)} → ${e.recovered_at ? when(e.recovered_at) : "open"}`
    + ` (${number(e.value, unit)})`).join("; ");
}

export function antiRow(a, now) {
  const row = el("div", "anti");
  row.dataset.goalId = a.goal_id;
  const severity = el("span", "severity " + (SEVERITY.get(a.severity) ?? "muted"), a.severity ?? "–");
  const against = a.comparator === "below" ? "≥" : "≤";
  const recovery = a.recovery_threshold ?? null; // shown once the API answers it
  const limit = `${number(a.current_value, a.unit)} (breach ${a.comparator ?? ""} ${number(a.threshold, a.unit)}`
    + (recovery === null ? "" : `, recovers ${against} ${number(recovery, a.unit)}`) + ")";
  // Never measured: neither in breach nor ok, and not said to be either.
  const [cls, stateText] = a.breached ? ["breach", "in breach"]
    : typeof a.current_value === "number" ? ["on_track", "ok"] : ["muted", "no value yet"];
  row.append(goalLink(a.goal_id, a.title), severity, el("span", cls, stateText),
    el("span", "limit", limit), timeline(a.episodes ?? [], now), el("span", "episodes muted", episodesText(a.episodes ?? [], a.unit)));
  return row;
}

export async function drawAnti(into) {
  const answer = await pages("/v1/anti-goals", {}, 1000);
  const now = state.asOf ? Date.parse(state.asOf) || Date.now() : Date.now();
  // breached first, then by title
  const items = answer.items.sort((a, b) => Number(b.breached) - Number(a.breached) || a.title.localeCompare(b.title));
  const rows = items.map((a) => antiRow(a, now));
  if (!rows.length) rows.push(el("p", "muted", "No anti-goals."));
  if (answer.more) rows.push(el("p", "muted", `The first ${items.length} anti-goals are shown; there are more.`));
  into.replaceChildren(...rows);
}
