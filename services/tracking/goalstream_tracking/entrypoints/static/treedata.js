// What the goal tree has loaded: the pages of roots the reader asked for and the children of each node shown
// open, never a whole subtree, so the page's work follows what is shown (an organisation of 10,000 goals under
// one root costs that root and its children at first, not a 10 MB answer). A node's children come from the flat
// pages of GET /v1/tree?root=<id>&max_depth=1 (the node itself first, then its children by goal id). Each row's
// counts by status and open breaches are the API's own, for its whole subtree: nothing below is needed for them.
import { json } from "./api.js";

export const PAGE = 100; // children per page, as roots per page
const OPEN_DEPTH = 2; // levels shown open at first: the roots and their children

// kids: goal id -> {items, next} (its children loaded, the cursor of the page after them or null);
// pages: goal id -> pages of children the reader asked for; byId: every goal loaded (for titles and paths).
export const treeData = {
  roots: [], nextAfter: null, kids: new Map(), pages: new Map(), byId: new Map(), titles: new Map(),
};
export const opened = new Map(); // goal id -> open? (what the reader chose; absent: open down to OPEN_DEPTH)

export const isOpen = (id, depth) => opened.get(id) ?? depth < OPEN_DEPTH - 1;

// Whether a goal has sub-goals: its children once loaded; before that its own answer says so when its
// subtree's counts hold more goals than itself or its rollup names children. The levels shown open at
// first are loaded, so their toggles are exact; below them a subtree whose goals have no status and roll
// nothing up shows no toggle (no answer field tells; loading every node's children to know is what this avoids).
export function hasChildren(goal) {
  const loaded = treeData.kids.get(goal.goal_id);
  if (loaded && (loaded.items.length || loaded.next)) return true;
  const counted = Object.values(goal.counts ?? {}).reduce((a, b) => a + b, 0) - (goal.status ? 1 : 0);
  return counted > 0 || (goal.source?.kind === "rollup" && goal.source.children?.length > 0);
}

function known(goals) {
  for (const goal of goals) treeData.byId.set(goal.goal_id, goal);
}

export function resetTree() {
  Object.assign(treeData, { roots: [], nextAfter: null });
  for (const map of [treeData.kids, treeData.pages, treeData.byId, treeData.titles]) map.clear();
}

// A node's children, `pages` pages of them; null when the goal is gone (or did not exist at the as-of time).
async function childrenOf(id, pages) {
  const items = [];
  let after = "";
  try {
    for (let page = 0; page < pages; page++) {
      // The first page holds the node itself (depth 0) and PAGE children; each later one PAGE children.
      const answer = await json("/v1/tree", { root: id, max_depth: 1, limit: page ? PAGE : PAGE + 1, after });
      items.push(...answer.items.filter((goal) => goal.parent_id === id));
      after = answer.next_after;
      if (!after) break;
    }
  } catch (error) {
    if (error.status === 404 && !error.missingRoute) return null;
    throw error;
  }
  return { items, next: after || null };
}

function remember(id, entry) {
  if (entry === null) treeData.kids.delete(id);
  else {
    treeData.kids.set(id, entry);
    known(entry.items);
  }
}

// The children of every goal shown open among `goals` (at `depth`), then of theirs shown open, level by level.
export async function loadOpen(goals, depth) {
  let level = goals;
  for (let d = depth; level.length; d++) {
    const open = level.filter((goal) => isOpen(goal.goal_id, d));
    const answers = await Promise.all(open.map((g) => childrenOf(g.goal_id, treeData.pages.get(g.goal_id) ?? 1)));
    open.forEach((goal, i) => remember(goal.goal_id, answers[i]));
    level = open.flatMap((goal) => treeData.kids.get(goal.goal_id)?.items ?? []);
  }
}

// The reader asked for the next page of a node's children: its pages are fetched again, one more of them
// (a live refresh may replace its entry meanwhile; fetching them all keeps the answer whole).
export async function loadMore(id) {
  const pages = (treeData.pages.get(id) ?? 1) + 1;
  treeData.pages.set(id, pages);
  remember(id, await childrenOf(id, pages));
}

// The roots (every page the reader has asked for so far) and the children of each node shown open.
export async function loadTree(pagesWanted = 1) {
  const roots = [];
  let after = "";
  let nextAfter = null;
  for (let page = 0; page < pagesWanted; page++) {
    const answer = await json("/v1/tree", { limit: PAGE, after });
    roots.push(...answer.items);
    nextAfter = after = answer.next_after;
    if (!after) break;
  }
  known(roots);
  await loadOpen(roots, 0);
  Object.assign(treeData, { roots, nextAfter });
  return treeData;
}
