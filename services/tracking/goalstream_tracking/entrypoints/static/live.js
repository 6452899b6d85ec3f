// Live updates: every few seconds GET /v1/events?after=<cursor> with If-None-Match (a 304 when nothing
// happened); new events refresh what is shown. A tracking without /v1/events yet gets the view refreshed
// on the same period instead. Nothing is polled while the page shows a past time (as_of).
import { get, state } from "./api.js";

const PERIOD_MS = 3000;
let timer = null;
let cursor = null;
let etag = null;
let fallback = false;

async function start() {
  const first = await get("/v1/events", { limit: 1 }, { timed: false, signal: null });
  etag = first.etag;
  // The ETag is the organisation's latest cursor (quoted): the events after it are the new ones.
  cursor = first.body.items[0]?.cursor ?? (etag ?? "").replace(/^W\//, "").replace(/"/g, "");
}

async function tick(onEvents, onError) {
  try {
    if (fallback) return onEvents([]);
    if (cursor === null) {
      await start();
      // What changed between the first drawing and this cursor is in no later answer: draw once more.
      return await onEvents([]);
    }
    // signal null: the poll is no drawing's, and a new drawing never aborts it
    const answer = await get("/v1/events", { after: cursor, limit: 500 }, { timed: false, etag, signal: null });
    if (answer.notModified) return;
    etag = answer.etag;
    const items = answer.body.items;
    cursor = answer.body.next_after ?? items[items.length - 1]?.cursor ?? cursor;
    if (items.length) await onEvents(items);
  } catch (error) {
    if (error.missingRoute) fallback = true;
    else onError(error);
  }
}

export function live(onEvents, onError) {
  stop();
  const loop = async () => {
    if (!state.asOf && state.key) await tick(onEvents, onError);
    timer = setTimeout(loop, PERIOD_MS);
  };
  timer = setTimeout(loop, 0);
}

export function stop() {
  if (timer !== null) clearTimeout(timer);
  timer = null;
}
