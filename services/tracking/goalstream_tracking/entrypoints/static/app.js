// The dashboard's entry: the key and as-of controls, the hash routes (the tree and lists at `#`, a goal's
// page at `#goal=<id>` — the links alerts carry — and the event stream at `#events`), errors that say
// what to do, and live refreshes that keep the reader's place (scroll, opened subtrees, focus, open goal).
import { state, Superseded } from "./api.js";
import { drawAnti } from "./anti.js";
import { $, el } from "./dom.js";
import { addEvents, drawEvents } from "./events.js";
import { dropChart } from "./chart.js";
import { drawGoal } from "./goal.js";
import { drawLadders } from "./ladders.js";
import { live } from "./live.js";
import { drawSearch, filtering, filters } from "./search.js";
import { drawTree, keyboard, loadTree, resetTree, treeData } from "./tree.js";
import { emptyState } from "./empty.js";

let rootPages = 1;
let searchLimit = 100;
let retry = null;

function route() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("goal")) return { view: "goal", id: hash.get("goal") };
  if (location.hash === "#events") return { view: "events" };
  return { view: "home" };
}

const moreRoots = () => { rootPages += 1; refresh(); };

function notice(text, advice = "", kind = "error") {
  const box = $("notice");
  box.className = text ? kind : "";
  box.replaceChildren(...(text ? [el("strong", "", text), document.createTextNode(advice ? " " + advice : "")] : []));
}

async function drawHome() {
  const f = filters();
  if (filtering(f)) {
    if (!treeData.roots.length) await loadTree(rootPages); // the local filter's fallback needs the goals
    await drawSearch($("tree"), f, searchLimit, () => { searchLimit += 100; refresh(); });
  } else {
    await loadTree(rootPages);
    if (!treeData.roots.length && !state.asOf) $("tree").replaceChildren(emptyState());
    else if (!treeData.roots.length) $("tree").replaceChildren(el("p", "muted", "No goals at that time."));
    else drawTree($("tree"), moreRoots);
  }
  await Promise.all([drawLadders($("ladders")), drawAnti($("anti"))]);
}

async function draw(r) {
  for (const view of ["home", "goal", "events"]) $(`view-${view}`).hidden = view !== r.view;
  if (r.view !== "goal") dropChart(); // a chart no longer shown must not stay in uPlot's list of live plots
  if (r.view === "goal") {
    try {
      await drawGoal($("goal"), r.id);
    } catch (error) {
      if (error.status !== 404 || error.missingRoute) throw error;
      $("goal").replaceChildren(el("p", "", `Goal ${r.id} is not among this organisation's goals`
        + (state.asOf ? " at that time." : ".")));
    }
  } else if (r.view === "events") await drawEvents($("events"));
  else await drawHome();
}

// A failure shown with what to do; one worth retrying asks again after the answer's Retry-After (or 5 s),
// whichever part of the page met it (a drawing, the live poll, a subtree opened). A request given up for a
// newer drawing is no failure.
function failed(error) {
  if (error instanceof Superseded) return;
  notice(`${error.status ? error.status + ": " : ""}${error.message}.`, error.advice ?? "");
  if (error.retryable) {
    clearTimeout(retry);
    retry = setTimeout(refresh, error.retryMs ?? 5000);
  }
}

// What a drawing shows: two refreshes wanting the same are one drawing (and once more after it, for what
// changed meanwhile); a refresh wanting something else (another view, time, key, filter) aborts the older
// drawing, whose answers then never land over the newer one's, however late they arrive.
const wanted = () => JSON.stringify([shows, location.hash, state.key, state.asOf, state.mode, filters(),
  $("ev-type").value, rootPages, searchLimit]);
let shows = 0; // Show pressed: always a drawing of its own, never folded into one under way
let drawing = null; // the latest: { what, controller, again, done, over }

export function refresh() {
  const what = wanted();
  if (drawing && !drawing.over && drawing.what === what) {
    drawing.again = true;
    return drawing.done;
  }
  // Aborted even when done: a subtree it let the reader open may still be loading, for its time and key.
  drawing?.controller.abort();
  const run = { what, controller: new AbortController(), again: false, over: false };
  drawing = run;
  run.done = redraw(run).finally(() => {
    run.over = true;
    if (drawing === run && run.again) refresh();
  });
  return run.done;
}

// Draw the current view again, keeping the scroll position and the focused row.
async function redraw(run) {
  clearTimeout(retry);
  state.signal = run.controller.signal;
  if (!state.key) {
    notice("Give an organisation API key to see its goals.", "", "info");
    return;
  }
  const y = window.scrollY;
  try {
    await draw(route());
  } catch (error) {
    if (!run.controller.signal.aborted) failed(error);
    return;
  }
  if (run.controller.signal.aborted) return; // a newer drawing owns the page and its notice
  notice("");
  $("asof-shown").textContent = state.asOf ? `as of ${state.asOf} (${state.mode} time)` : "now, live";
  window.scrollTo(0, y);
  // The element the keyboard was on went with the old drawing (this one's or one started before): focus the
  // element now standing in its place.
  if (document.activeElement === document.body && lastFocus && !lastFocus.node.isConnected) {
    standingIn(lastFocus.place)?.focus({ preventScroll: true });
    lastFocus = null;
  }
}

// Where the keyboard was, told by what a redraw keeps (a tree row's goal id, or a link's target), so the reader
// keeps their place when a live refresh draws the view again.
function placeOf(node) {
  const view = node.closest("main > [id]")?.id ?? null; // the same goal is linked from several views
  return { view, goal: node.dataset?.goalId ?? null, tag: node.tagName, href: node.getAttribute("href") };
}

function standingIn(place) {
  const within = (place.view && $(place.view)) || document;
  const same = (n) => (place.goal ? n.dataset.goalId === place.goal && n.tabIndex >= 0 : n.getAttribute("href") === place.href);
  return [...within.querySelectorAll(place.goal ? "[data-goal-id]" : place.tag)].find((n) => same(n) && n.checkVisibility()) ?? null;
}

// Focus leaving for nowhere (relatedTarget null) is either the reader leaving the page or a redraw removing the
// focused element; a refresh tells them apart by whether the element is still in the page.
let lastFocus = null;
document.addEventListener("focusout", (event) => {
  if (!event.relatedTarget && event.target instanceof Element) lastFocus = { node: event.target, place: placeOf(event.target) };
});

// New events: draw again now, and once more a moment later, since the stored answers (the tree's JSON)
// may be refreshed a little after the event is logged; a later event would otherwise be needed to show it.
let again = null;
function onEvents(items) {
  // The stream's rows take the new events at the top; with no table yet ("No events yet.") it is drawn again.
  if (route().view === "events" && items.length && addEvents(items)) return undefined;
  clearTimeout(again);
  again = setTimeout(refresh, 1500);
  return refresh();
}

$("key").value = state.key;
$("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("key").value.trim();
  state.asOf = $("asof").value.trim();
  state.mode = $("asof-mode").value === "observed" ? "observed" : "recorded";
  sessionStorage.setItem("goalstream-key", state.key);
  resetTree(); // another organisation or time: nothing loaded before holds
  shows += 1;
  refresh();
});
let typing = null;
for (const id of ["f-q", "f-level", "f-owner", "f-status"]) {
  $(id).addEventListener("input", () => { clearTimeout(typing); searchLimit = 100; typing = setTimeout(refresh, 250); });
}
$("ev-type").addEventListener("change", refresh);
// The tree drawn again from what is loaded (a subtree opened or closed, its children arrived), focusing row
// `id` or the row focused before; not while a search or another view shows in its place.
keyboard($("tree"), (id) => {
  if (route().view !== "home" || filtering(filters()) || !treeData.roots.length) return;
  const focused = id ?? document.activeElement?.dataset?.goalId;
  drawTree($("tree"), moreRoots);
  [...$("tree").querySelectorAll("[role=treeitem]")].find((n) => n.dataset.goalId === focused)?.focus({ preventScroll: true });
}, failed);
window.addEventListener("hashchange", () => { refresh(); window.scrollTo(0, 0); });
live(onEvents, failed);
refresh();
