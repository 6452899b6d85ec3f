// The goal tree: roots sorted by title, each with its subtree; collapsed below the second level by default
// (a subtree's rows are only built when it is opened, so 10,000 goals draw quickly). What the reader opened
// or closed is kept across live refreshes in `opened` (goal id -> open?).
import { json } from "./api.js";
import { bar, countsText, el, goalLink, percent, statusBadge, valueAgainstTarget, when } from "./dom.js";

const OPEN_DEPTH = 2; // levels shown open at first: the roots and their children
export const opened = new Map();
const byTitle = (a, b) => a.goal.title.localeCompare(b.goal.title) || a.goal.goal_id.localeCompare(b.goal.goal_id);

export const treeData = { roots: [], nextAfter: null, byId: new Map() };

function index(node) {
  treeData.byId.set(node.goal.goal_id, node.goal);
  node.children.sort(byTitle);
  for (const child of node.children) index(child);
}

// The roots (every page the reader has asked for so far) and each root's whole subtree.
export async function loadTree(pagesWanted = 1) {
  const roots = [];
  let after = "";
  let nextAfter = null;
  for (let page = 0; page < pagesWanted; page++) {
    const answer = await json("/v1/tree", { limit: 100, after });
    roots.push(...answer.items);
    nextAfter = after = answer.next_after;
    if (!after) break;
  }
  const trees = await Promise.all(roots.map((r) => json("/v1/tree", { root: r.goal_id, max_depth: 50 })));
  treeData.byId = new Map();
  for (const t of trees) index(t);
  treeData.roots = trees.sort(byTitle);
  treeData.nextAfter = nextAfter;
  return treeData;
}

function isOpen(id, depth) {
  return opened.get(id) ?? depth < OPEN_DEPTH - 1;
}

// One goal's row: title (a link to its page), bar, progress, value against target, status in words, owner,
// deadline, its subtree's counts by status and open breaches.
export function goalRow(goal, depth, hasChildren) {
  const row = el("div", "goal");
  row.dataset.goalId = goal.goal_id; // a data attribute: compared as text, never put in a selector
  row.setAttribute("role", "treeitem");
  row.setAttribute("aria-level", String(depth + 1));
  row.tabIndex = 0;
  row.style.setProperty("--depth", String(depth)); // the CSS object model, which the policy allows
  const toggle = el("span", "toggle", hasChildren ? (isOpen(goal.goal_id, depth) ? "▾" : "▸") : "");
  toggle.setAttribute("aria-hidden", "true");
  if (hasChildren) row.setAttribute("aria-expanded", String(isOpen(goal.goal_id, depth)));
  const breaches = goal.open_breaches ? `${goal.open_breaches} open breach${goal.open_breaches > 1 ? "es" : ""}` : "";
  row.append(
    toggle,
    goalLink(goal.goal_id, goal.title),
    bar(goal.progress_clamped),
    el("span", "pct", percent(goal.progress)),
    el("span", "value", valueAgainstTarget(goal)),
    statusBadge(goal.status),
    el("span", "owner muted", goal.owner ?? ""),
    el("span", "deadline muted", goal.deadline ? "due " + when(goal.deadline) : ""),
    el("span", "counts muted", countsText(goal.counts)),
    el("span", "breach", breaches),
  );
  return row;
}

function drawNode(node, depth, into) {
  const hasChildren = node.children.length > 0;
  into.appendChild(goalRow(node.goal, depth, hasChildren));
  if (hasChildren && isOpen(node.goal.goal_id, depth)) {
    const group = into.appendChild(el("div", "group"));
    group.setAttribute("role", "group");
    group.dataset.parentId = node.goal.goal_id;
    for (const child of node.children) drawNode(child, depth + 1, group);
  }
}

export function drawTree(into, onMore) {
  const rows = document.createDocumentFragment();
  for (const root of treeData.roots) drawNode(root, 0, rows);
  if (treeData.nextAfter) {
    const more = el("button", "more", `${treeData.roots.length} roots shown: show the next 100`);
    more.type = "button";
    more.addEventListener("click", onMore);
    rows.appendChild(more);
  }
  into.replaceChildren(rows);
}

function find(id, nodes = treeData.roots, depth = 0) {
  for (const node of nodes) {
    if (node.goal.goal_id === id) return [node, depth];
    const found = find(id, node.children, depth + 1);
    if (found) return found;
  }
  return null;
}

export function toggle(id, open) {
  const found = find(id);
  if (!found || !found[0].children.length) return false;
  const now = open ?? !isOpen(id, found[1]);
  opened.set(id, now);
  return true;
}

// Keyboard: Enter opens the goal's page, Space opens or closes its subtree, arrows move and open/close.
export function keyboard(container, redraw) {
  container.addEventListener("keydown", (event) => {
    const row = event.target.closest?.("[role=treeitem]");
    if (!row) return;
    const id = row.dataset.goalId;
    const rows = [...container.querySelectorAll("[role=treeitem]")];
    const at = rows.indexOf(row);
    let handled = true;
    if (event.key === "Enter") location.hash = "goal=" + encodeURIComponent(id);
    else if (event.key === " ") toggle(id) && redraw(id);
    else if (event.key === "ArrowRight") toggle(id, true) && redraw(id);
    else if (event.key === "ArrowLeft") toggle(id, false) && redraw(id);
    else if (event.key === "ArrowDown") rows[at + 1]?.focus();
    else if (event.key === "ArrowUp") rows[at - 1]?.focus();
    else handled = false;
    if (handled) event.preventDefault();
  });
  container.addEventListener("click", (event) => {
    const tgl = event.target.closest?.(".toggle");
    const row = tgl?.closest("[role=treeitem]");
    if (row && toggle(row.dataset.goalId)) redraw(row.dataset.goalId);
  });
}

