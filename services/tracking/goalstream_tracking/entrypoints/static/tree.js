// The goal tree: roots sorted by title, collapsed below the second level by default. Only what is shown is
// loaded (treedata.js): a node's children are fetched when it is opened, a page at a time, so 10,000 goals
// draw quickly. What the reader opened or closed is kept across live refreshes in `opened` (goal id -> open?).
import { bar, countsText, el, goalLink, percent, statusBadge, valueAgainstTarget, when } from "./dom.js";
import { PAGE, hasChildren, isOpen, loadMore, loadOpen, opened, treeData } from "./treedata.js";

export { loadTree, opened, resetTree, treeData } from "./treedata.js";

// The API pages roots and children by goal id; the goals loaded are sorted by title here, so a later page
// may hold titles that sort before those shown (the "show the next" control says more are there).
const byTitle = (a, b) => a.title.localeCompare(b.title) || a.goal_id.localeCompare(b.goal_id);

// One goal's row: title (a link to its page), bar, progress, value against target, status in words, owner,
// deadline, its subtree's counts by status and open breaches (both from the API's answer for the goal).
export function goalRow(goal, depth, parent) {
  const row = el("div", "goal");
  row.dataset.goalId = goal.goal_id; // a data attribute: compared as text, never put in a selector
  row.setAttribute("role", "treeitem");
  row.setAttribute("aria-level", String(depth + 1));
  row.tabIndex = 0;
  row.style.setProperty("--depth", String(depth)); // the CSS object model, which the policy allows
  const toggle = el("span", "toggle", parent ? (isOpen(goal.goal_id, depth) ? "▾" : "▸") : "");
  toggle.setAttribute("aria-hidden", "true");
  if (parent) row.setAttribute("aria-expanded", String(isOpen(goal.goal_id, depth)));
  const breaches = goal.open_breaches ? `${goal.open_breaches} open breach${goal.open_breaches > 1 ? "es" : ""}` : "";
  row.append(
    toggle,
    goalLink(goal.goal_id, goal.title),
    bar(goal.progress_clamped, `progress of ${goal.title}`, percent(goal.progress)),
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

function indented(node, depth) {
  node.style.marginLeft = `${depth * 1.5}rem`; // as a row's --depth indents it (the CSS object model)
  return node;
}

function drawNode(goal, depth, into) {
  const parent = hasChildren(goal);
  into.appendChild(goalRow(goal, depth, parent));
  if (!parent || !isOpen(goal.goal_id, depth)) return;
  const group = into.appendChild(el("div", "group"));
  group.setAttribute("role", "group");
  group.dataset.parentId = goal.goal_id;
  const entry = treeData.kids.get(goal.goal_id);
  if (!entry) group.appendChild(indented(el("p", "muted loading", "loading…"), depth + 1));
  else if (!entry.items.length) group.appendChild(indented(el("p", "muted", "no sub-goals"), depth + 1));
  else for (const child of [...entry.items].sort(byTitle)) drawNode(child, depth + 1, group);
  if (entry?.next) {
    const more = el("button", "more", `${entry.items.length} sub-goals shown: show the next ${PAGE}`);
    more.type = "button";
    more.dataset.moreOf = goal.goal_id;
    group.appendChild(indented(more, depth + 1));
  }
}

export function drawTree(into, onMore) {
  const rows = document.createDocumentFragment();
  for (const root of [...treeData.roots].sort(byTitle)) drawNode(root, 0, rows);
  if (treeData.nextAfter) {
    const more = el("button", "more", `${treeData.roots.length} roots shown: show the next ${PAGE}`);
    more.type = "button";
    more.addEventListener("click", onMore);
    rows.appendChild(more);
  }
  into.replaceChildren(rows);
}

// Open or close a row's subtree (`open`: undefined toggles); opening loads its children, and theirs the
// reader had opened, then draws again. False when the row has no subtree.
function toggle(row, open, redraw, onError) {
  const id = row.dataset.goalId;
  const depth = Number(row.getAttribute("aria-level")) - 1;
  const goal = treeData.byId.get(id);
  if (!goal || !hasChildren(goal)) return false;
  const now = open ?? !isOpen(id, depth);
  opened.set(id, now);
  redraw(id); // at once: the toggle turns, and the children loaded before (or "loading…") show
  if (now) loadOpen([goal], depth).then(() => redraw(), onError);
  return true;
}

// Keyboard: Enter opens the goal's page, Space opens or closes its subtree, arrows move and open/close.
// `redraw(id)` draws the tree again and focuses row `id` (none: the row focused then).
export function keyboard(container, redraw, onError) {
  container.addEventListener("keydown", (event) => {
    const row = event.target.closest?.("[role=treeitem]");
    if (!row) return;
    const rows = [...container.querySelectorAll("[role=treeitem]")];
    const at = rows.indexOf(row);
    let handled = true;
    if (event.key === "Enter") location.hash = "goal=" + encodeURIComponent(row.dataset.goalId);
    else if (event.key === " ") toggle(row, undefined, redraw, onError);
    else if (event.key === "ArrowRight") toggle(row, true, redraw, onError);
    else if (event.key === "ArrowLeft") toggle(row, false, redraw, onError);
    else if (event.key === "ArrowDown") rows[at + 1]?.focus();
    else if (event.key === "ArrowUp") rows[at - 1]?.focus();
    else handled = false;
    if (handled) event.preventDefault();
  });
  container.addEventListener("click", (event) => {
    const more = event.target.closest?.("button[data-more-of]");
    if (more) {
      more.disabled = true;
      more.textContent = "loading…";
      loadMore(more.dataset.moreOf).then(() => redraw(), onError);
      return;
    }
    const row = event.target.closest?.(".toggle")?.closest("[role=treeitem]");
    if (row) toggle(row, undefined, redraw, onError);
  });
}
