// Filtering the tree by level, owner and status, and searching by title: GET /v1/search, whose answer
// gives each goal's ancestors (`path`). Where this tracking has no /v1/search yet, the goals already
// loaded are filtered here instead, and the page says so. Ancestors the tree has not loaded (it loads only
// what it shows) are named by their own answers, fetched once each.
import { json } from "./api.js";
import { $, el } from "./dom.js";
import { goalRow, treeData } from "./tree.js";

export function filters() {
  return {
    q: $("f-q").value.trim(),
    level: $("f-level").value,
    owner: $("f-owner").value.trim(),
    status: $("f-status").value,
  };
}

export const filtering = (f) => Boolean(f.q || f.level || f.owner || f.status);

function matches(goal, f) {
  return (!f.q || goal.title.toLowerCase().includes(f.q.toLowerCase()))
    && (!f.level || goal.level === f.level)
    && (!f.owner || goal.owner === f.owner)
    && (!f.status || goal.status === f.status);
}

const titleOf = (id) => treeData.byId.get(id)?.title ?? treeData.titles.get(id) ?? id;

async function nameAncestors(items) {
  const unknown = new Set(items.flatMap((goal) => goal.path ?? []).filter((id) => titleOf(id) === id));
  await Promise.all([...unknown].map(async (id) => {
    try {
      treeData.titles.set(id, (await json(`/v1/goals/${encodeURIComponent(id)}/progress`)).title);
    } catch (error) {
      if (error.status !== 404) throw error; // gone since: its id is shown
    }
  }));
}

function pathOf(goal) {
  const titles = [];
  for (let id = goal.parent_id; id; id = treeData.byId.get(id)?.parent_id) {
    titles.unshift(titleOf(id));
    if (titles.length > 60) break; // a cycle is not possible, but a bound costs nothing
  }
  return titles;
}

async function found(f, limit) {
  try {
    const answer = await json("/v1/search", { ...f, limit });
    return { items: answer.items, more: Boolean(answer.next_after), local: false };
  } catch (error) {
    if (!error.missingRoute) throw error;
    const all = [...treeData.byId.values()].filter((g) => matches(g, f));
    return { items: all.slice(0, limit), more: all.length > limit, local: true };
  }
}

// The matching goals, flat, each with the titles of its ancestors; "more" when the answer was cut.
export async function drawSearch(into, f, limit, onMore) {
  const { items, more, local } = await found(f, limit);
  await nameAncestors(items);
  const rows = document.createDocumentFragment();
  const heading = `${items.length}${more ? "+" : ""} goal${items.length === 1 ? "" : "s"} match`;
  rows.appendChild(el("p", "muted", local ? `${heading} (among the goals loaded; this tracking has no /v1/search)` : heading));
  for (const goal of [...items].sort((a, b) => a.title.localeCompare(b.title))) {
    const row = goalRow(goal, 0, false);
    const path = goal.path ? goal.path.map(titleOf) : pathOf(goal);
    if (path.length) row.appendChild(el("span", "path muted", "in " + path.join(" › ")));
    rows.appendChild(row);
  }
  if (more) {
    const button = el("button", "more", `more than ${items.length} match: show more`);
    button.type = "button";
    button.addEventListener("click", onMore);
    rows.appendChild(button);
  }
  into.replaceChildren(rows);
}
