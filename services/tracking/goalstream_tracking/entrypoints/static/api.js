// The tracking API as the pages read it: the key (kept in this tab only), the as-of control, and errors
// that say what went wrong and what to do next.

export const state = {
  key: sessionStorage.getItem("goalstream-key") || "",
  asOf: "", // empty: now
  mode: "recorded", // as_of_mode: recorded (as the platform knew it then) or observed (by measurement time)
  // The drawing under way's signal: a newer drawing of another view, time or key aborts it, so an answer for
  // an older choice (a slow as-of, a goal left) can never land over the newer one (app.js `refresh`).
  signal: null,
};

// A request given up because a newer drawing took its place: nothing to show, nothing to say.
export class Superseded extends Error {}

export class ApiError extends Error {
  constructor(status, message, advice, path) {
    super(message);
    this.status = status; // 0: the network (the service is not reachable)
    this.advice = advice;
    this.path = path;
  }
  // A route this tracking does not have yet (FastAPI's own 404, not "no such goal"): the page degrades.
  get missingRoute() {
    return this.status === 404 && this.message === "Not Found";
  }
  // Worth asking again by itself: tracking unreachable, busy (429) or failing (5xx); its advice says "retrying".
  get retryable() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const ADVICE = new Map([
  [401, "The API key was refused: check it (an organisation's read key, gs_…) and press Show."],
  [403, "This key may not read tracking: use the organisation's read key."],
  [422, "A value given to the page was refused: correct the field it names."],
  [429, "Too many requests for this key: retrying shortly."],
  [503, "Tracking is not ready yet (starting, or its database is unavailable): retrying."],
]);
const FAILING = "Tracking failed to answer: retrying; if this stays, tell its operators (the logs name the request).";

// When to ask again: the answer's Retry-After (seconds, 1 to 60), else 5 seconds.
function retryAfter(response) {
  const seconds = Number(response?.headers.get("Retry-After"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) * 1000 : 5000;
}

async function problem(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return body.message || body.detail || text;
  } catch {
    return text || response.statusText;
  }
}

export function query(params = {}, timed = true) {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") q.set(name, String(value));
  }
  if (timed && state.asOf) {
    q.set("as_of", state.asOf);
    q.set("as_of_mode", state.mode);
  }
  return q.toString();
}

// GET a path; the answer's JSON, or null on 304 (with `etag`). Throws ApiError.
export async function get(path, params = {}, { timed = true, etag = null, signal = state.signal } = {}) {
  const q = query(params, timed);
  const url = q ? `${path}?${q}` : path;
  const headers = { Authorization: "Bearer " + state.key };
  if (etag) headers["If-None-Match"] = etag;
  let response;
  try {
    response = await fetch(url, { headers, cache: "no-store", signal });
  } catch {
    if (signal?.aborted) throw new Superseded(path);
    throw Object.assign(new ApiError(0, "tracking did not answer (network error)", "Tracking is not reachable: retrying.", path),
      { retryMs: 5000 });
  }
  // An answer that arrived as (or after) a newer drawing began is not drawn, nor its error shown: the newer one is.
  const superseded = () => { if (signal?.aborted) throw new Superseded(path); };
  const result = await answer(response, path, etag).catch((error) => { superseded(); throw error; });
  superseded();
  return result;
}

async function answer(response, path, etag) {
  if (response.status === 304) return { notModified: true, etag };
  if (!response.ok) {
    const message = await problem(response);
    const advice = ADVICE.get(response.status) ?? (response.status >= 500 ? FAILING : "");
    throw Object.assign(new ApiError(response.status, message, advice, path), { retryMs: retryAfter(response) });
  }
  const body = await response.json();
  return { body, etag: response.headers.get("ETag") };
}

export async function json(path, params = {}, options = {}) {
  return (await get(path, params, options)).body;
}

// Every page of a paged list (`items`, `next_after`), up to `cap` items; `more` tells whether it stopped short.
export async function pages(path, params = {}, cap = 1000) {
  const items = [];
  let after = "";
  for (;;) {
    const page = await json(path, { ...params, after, limit: 100 });
    items.push(...page.items);
    after = page.next_after;
    if (!after) return { items, more: false };
    if (items.length >= cap) return { items, more: true, after };
  }
}
