// The event stream for ops (#events): the organisation's latest events (time, type, goal, trace id),
// filterable by type; live updates add new ones at the top.
import { json, state } from "./api.js";
import { $, el, goalLink, when } from "./dom.js";

const KEEP = 500; // rows kept on the page: the newest

function row(e) {
  const tr = el("tr");
  tr.dataset.cursor = e.cursor;
  tr.insertCell().textContent = when(e.occurred_at);
  tr.insertCell().textContent = e.type;
  const goal = tr.insertCell();
  if (e.goal_id) goal.appendChild(goalLink(e.goal_id, e.goal_id));
  tr.insertCell().textContent = e.trace_id ?? "";
  return tr;
}

export async function drawEvents(into) {
  const type = $("ev-type").value.trim();
  let answer;
  try {
    answer = await json("/v1/events", { type, limit: 100 }, { timed: false });
  } catch (error) {
    if (!error.missingRoute) throw error;
    into.replaceChildren(el("p", "muted", "This tracking does not serve the event stream yet (GET /v1/events)."));
    return;
  }
  const table = el("table", "events");
  const head = table.createTHead().insertRow();
  for (const h of ["occurred", "type", "goal", "trace id"]) head.appendChild(el("th", "", h));
  const body = table.createTBody();
  body.id = "event-rows";
  for (const e of answer.items) body.appendChild(row(e)); // newest first
  const shown = answer.items.length ? table : el("p", "muted", "No events yet.");
  // The stream is the log as it is now: a past time chosen above does not apply to it, and the page says so.
  const now = state.asOf ? el("p", "muted asof-note", "The event stream shows the latest events: as of does not apply here.") : "";
  into.replaceChildren(...[now, shown].filter(Boolean));
}

// New events from the live poll (oldest first): the ones of the chosen type go on top.
export function addEvents(items) {
  const body = $("event-rows");
  if (!body) return false;
  const type = $("ev-type").value.trim();
  for (const e of items) if (!type || e.type === type) body.insertBefore(row(e), body.firstChild);
  while (body.rows.length > KEEP) body.deleteRow(-1);
  return true;
}
