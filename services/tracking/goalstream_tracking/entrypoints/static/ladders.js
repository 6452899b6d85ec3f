// Ladders (GET /v1/ladders): each ladder's rungs from the bottom, which are unlocked and when, and the
// current one. A tracking without the route yet says so instead of failing the page.
import { pages } from "./api.js";
import { bar, el, goalLink, percent, when } from "./dom.js";

const STATE_CLASS = new Map([
  ["achieved", "achieved"], ["active", "on_track"], ["missed", "missed"], ["locked", "muted"], ["archived", "muted"],
]);

function ladder(l) {
  const box = el("div", "ladder");
  box.dataset.ladderId = l.ladder_id;
  const head = el("div", "ladder-head");
  const current = l.current_rung ? `current rung ${l.current_rung} of ${l.rungs.length}` : "top rung achieved";
  head.append(el("strong", "title", l.title), bar(l.progress, `progress of ladder ${l.title}`), el("span", "pct", percent(l.progress)),
    el("span", "muted", current));
  const rungs = el("ol", "rungs");
  for (const r of [...l.rungs].sort((a, b) => b.index - a.index)) { // the top rung first, as a ladder stands
    const li = el("li", "rung" + (r.index === l.current_rung ? " current" : ""));
    li.dataset.goalId = r.goal_id;
    const unlocked = r.state === "locked" ? "locked" : r.unlocked_at ? `unlocked ${when(r.unlocked_at)}` : "unlocked";
    li.append(el("span", "muted", `${r.index}.`), goalLink(r.goal_id, r.title),
      el("span", "status " + (STATE_CLASS.get(r.state) ?? "muted"), r.index === l.current_rung ? `${r.state} (current)` : r.state),
      el("span", "pct", r.progress === null ? "–" : percent(r.progress)), el("span", "muted", unlocked));
    rungs.appendChild(li);
  }
  box.append(head, rungs);
  return box;
}

export async function drawLadders(into) {
  let answer;
  try {
    answer = await pages("/v1/ladders", {}, 500);
  } catch (error) {
    if (!error.missingRoute) throw error;
    into.replaceChildren(el("p", "muted", "This tracking does not list ladders yet (GET /v1/ladders)."));
    return;
  }
  const shown = answer.items.map(ladder);
  if (!shown.length) shown.push(el("p", "muted", "No ladders."));
  if (answer.more) shown.push(el("p", "muted", `The first ${answer.items.length} ladders are shown; there are more.`));
  into.replaceChildren(...shown);
}
